package features

import "sort"

// FirstOutcome tells what became of ob when it was first processed, for an
// observation that Store.Apply (or Config.Step) now reports as Duplicate:
// its source offset is at or below the one stored with the series, so it
// was seen before, but a Duplicate alone does not say whether that first
// time it was applied or skipped as late. st is the series' current state
// (Store.State).
//
// Applied event times strictly increase along the stored history, and an
// event is applied only if its time is after every earlier applied one, so:
//
//   - a record with ob's event time and value exists: ob was applied
//     (Applied, with the index of that record in st.Values);
//   - a record with ob's event time but another value exists, or no record
//     has ob's event time although the history reaches back that far: ob
//     was not applied, it was late (Late, -1);
//   - ob's event time is older than the oldest stored record and the ring
//     has dropped records (Count > len(st.Times)): unknown (Duplicate, -1).
//
// after is the index of the last record already matched to an earlier
// observation of the same replay (-1 if none): copies of one observation at
// several offsets were applied once, the first, and the others were late;
// passing the previous match keeps them so. (A copy replayed without the
// original in the same replay is taken for the original: the stored record
// carries no offset.)
func (st *State) FirstOutcome(ob *Observation, after int) (Status, int) {
	ms := ob.TS.UnixMilli()
	j := sort.Search(len(st.Times), func(i int) bool { return st.Times[i] >= ms })
	if j < len(st.Times) && st.Times[j] == ms {
		if j > after && st.Values[j] == normValue(ob.Value) {
			return Applied, j
		}
		return Late, -1
	}
	if st.Count > int64(len(st.Times)) && (len(st.Times) == 0 || ms < st.Times[0]) {
		return Duplicate, -1
	}
	return Late, -1
}
