"""Training a run: the trainer and its step, the objectives, CUDA-graph capture and checkpoints."""
