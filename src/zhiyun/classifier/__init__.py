"""The text classifier of 智能分拨: features, models and their files, training, evaluation, reports."""
