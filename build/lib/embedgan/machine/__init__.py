"""The machine a job runs on: its devices (one GPU per job), its host kind, the process's switches and signals."""
