"""Pipeline steps: plain, unit-tested Python functions wrapped as KFP components."""
