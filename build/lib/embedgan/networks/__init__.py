"""The networks: conditioners, generators, discriminators, their inputs, the networks of a run,
the text encoder, the model file and drawing images from trained networks."""
