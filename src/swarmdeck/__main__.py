from swarmdeck.cli.main import main

main()
