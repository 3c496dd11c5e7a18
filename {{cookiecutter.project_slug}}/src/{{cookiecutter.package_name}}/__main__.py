from .cli import main

main(prog=f"python -m {__package__}")
