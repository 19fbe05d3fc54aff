"""embedgan: generators fed a learned embedding of a class label or a text, instead of noise."""
