import sys

from .commands import run_command_line

sys.exit(run_command_line(prog=f"python -m {__package__}"))
