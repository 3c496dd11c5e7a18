"""Pictures of a run: the callback that draws them, each task's figures, their dispatch to the logger,
and report.html."""
