package model

// ScalerTypes lists the accepted values of Common.ScalerType.
func ScalerTypes() []string { return []string{"identity"} }

func knownScaler(s string) bool { return s == "" || s == "identity" }
