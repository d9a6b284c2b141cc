"""One module per training stage: data in, trained model, metrics, history and samples out.

Experiments sit between the stage scripts and the library: they turn params sections into a model,
batches and a step function, hand those to the shared Trainer, track the run in MLflow, and write
the outputs every report needs. Imports point down: experiments -> training, evaluation -> models, data.
"""
