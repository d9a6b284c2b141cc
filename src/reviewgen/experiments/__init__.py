"""One module per training stage: data in, trained model, metrics, history and samples out.

Experiments sit between the stage scripts and the library: each model's module turns params sections
into an :class:`~reviewgen.experiments.runner.Experiment` (its data, model, step, evaluation and
samples), and :func:`~reviewgen.experiments.runner.train` runs every one the same way: the shared
Trainer, the MLflow run, the model file and the outputs every report needs. Imports point down:
experiments -> training, evaluation -> models, data.
"""
