"""The documents' fixed prose: the question, what each metric means, the notes above the
tables (embedgan.documents.sections and embedgan.documents.publish put numbers around them)."""

QUESTION = (
    "A GAN turns noise into an image. What if the generator is fed a learned embedding of "
    "the class label (or of a text) instead? Each experiment below trains a generator whose "
    "input is such an embedding (with `noise_dim` > 0, followed by Gaussian noise; without "
    "noise, and without conditioning augmentation, which draws the embedding itself, one class "
    "gives exactly one image)."
)
# How every picture is drawn: what looks wrong in one is the generator's, not the drawing's.
PICTURES_NOTE = (
    "Pictures show the generator's output pixels, mapped linearly from [-1, 1] to 0-255 (no "
    "per-image contrast stretching)."
)
METRICS_NOTE = (
    "Generated images are judged by a reference classifier per data set, trained on the real "
    "training split, in its 128-d feature space (a classifier-feature space, not Inception's). "
    "Every number stands beside what a perfect generator scores on the same work: real test "
    "images, as many of each class as were generated (mean ± std over random draws). "
    "*accuracy*: share of generated images it assigns to the intended class; *CE*: mean "
    "cross-entropy to the intended label; *FD*: Frechet distance between generated images and "
    "a reference set (a fixed half of each class's test images), beside a perfect generator's: real "
    "test images from the other half against the same reference (the distance grows as sample "
    "sizes shrink); per class it is the intra-FD. *FD class means*: the distance of each "
    "class's mean feature drawn as often, near the best a generator without noise (one image "
    "per class) can reach, whose intra-FD is at least the trace of the class's feature "
    "covariance (*best point*). *precision* and *recall* (Kynkaanniemi et al. 2019), *density* "
    "and *coverage* (Naeem et al. 2020), k = 5 nearest neighbours, against a real set of the "
    "generated counts from the held-out half: precision and density ask whether generated "
    "images look real (fidelity), recall and coverage whether they cover the real ones "
    "(diversity); density exceeds 1 where generated images crowd dense regions. *Per-class "
    "recall* and *per-class coverage*: the same within each class (the images generated for a "
    "class, whatever the classifier sees in them, against real images of that class), averaged "
    "over the classes: variety within a class, to be read beside accuracy. *CAS* "
    "(classification accuracy score, Ravuri and Vinyals 2019): the test accuracy of the "
    "reference classifier's architecture trained on generated images only, beside the same "
    "training on as many real images per class (*real*): a generator drawing one image per "
    "class cannot score high with it. *diversity*: mean pairwise feature distance among draws "
    "of one class, beside real test images'; *NN dist*: mean pixel L2 distance (images in "
    "[0, 1]) from a generated image to its nearest training image, beside the same for real "
    "test images."
)
# The first page's columns in a few words (METRICS_NOTE, on the second page, in full).
COLUMNS_NOTE = (
    "The columns: *accuracy*, the share of generated images a reference classifier (trained on "
    "the real training split) assigns to the intended class; *per-class recall* and *per-class "
    "coverage* (k = 5 nearest neighbours in the classifier's features), how much of each class's "
    "real images the images generated for that class cover, whatever class they look like, "
    "averaged over the classes: variety within a class, read beside accuracy; *CAS*, the accuracy "
    "on real test images of a classifier trained on generated images only. A perfect generator's "
    "scores (real test images) stand beside each. Converged: the trend test of each run's "
    "generation record (the second page's \"Convergence\")."
)
INCEPTION_ABSENT = (
    "Inception metrics (FID, IS, KID): not computed in this run (`inception_metrics: false`: "
    "they need the standard Inception-v3 weights, which an offline run cannot download)"
)

BEYOND_NOTE = (
    "Options of the one trainer that the notebook does not have, each off unless an experiment's "
    "config sets it: *CA*, conditioning augmentation (StackGAN): the generator gets a draw "
    "mu + sigma * eps around the class code and its loss adds weight x KL(N(mu, sigma) || "
    "N(0, I)); *prior*: total variation (TV) and mean squared pixel (L2) penalties on the "
    "generated images (as in Mahendran and Vedaldi 2015, DeepInversion). *TV*: mean total "
    "variation of a generated image in [0, 1] (speckle), beside real test images'. The table "
    "lists the runs that use an option, each beside the run it is based on."
)

LADDER_NOTE = (
    "From the notebook's experiment to a known-good conditional GAN, one change at a time: each "
    "rung is the rung below with what its row names changed (in the top rung, several at once: "
    "the positive control). Numbers as in \"Metrics\", each beside a perfect generator's "
    "(in brackets)."
)

ABLATION_NOTE = (
    "The positive control with one ingredient put back the way the notebook had it, per row; "
    "every run of a data set at one scale and number of steps (the full control's, over its "
    "seeds). Each row's numbers (over its seeds: their mean [its 95% t interval]) beside the "
    "full control's and a perfect generator's; in brackets the row's difference from the "
    "control's mean, in bold where the test admits it: Welch's t where the row has several "
    "seeds, else whether the row lies outside the 95% t prediction interval of the control's "
    "seeds (where a further seed of the control would fall 95% of the time; with one seed of the "
    "control, nothing is admitted)."
)
