"""``python -m telecnn`` runs the CLI."""

from telecnn.cli.app import main

if __name__ == "__main__":
    main(prog_name="telecnn")
