#!/usr/bin/env python3
"""Syntax check of the deploy/ YAML and JSON files (no Docker or cluster
needed): python3 deploy/validate.py. Metric and env-var names are checked
against the code by pipeline/deploy_test.go."""
import json, pathlib, sys
import yaml

root = pathlib.Path(__file__).resolve().parent
bad = 0
for p in sorted(root.rglob("*")):
    try:
        if p.suffix in (".yml", ".yaml"):
            list(yaml.safe_load_all(p.read_text()))
        elif p.suffix == ".json":
            json.loads(p.read_text())
        else:
            continue
        print("ok  ", p.relative_to(root))
    except Exception as e:  # noqa: BLE001
        bad += 1
        print("FAIL", p.relative_to(root), e)
sys.exit(1 if bad else 0)
