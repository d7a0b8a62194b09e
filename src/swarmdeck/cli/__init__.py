"""The command line: every operation from the shell, thin over the layers below."""
