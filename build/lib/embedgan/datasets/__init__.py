"""The data sets: fetching them into one canonical .npz, reading them back, image layouts."""
