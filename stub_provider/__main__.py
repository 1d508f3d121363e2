from stub_provider.server import main

main()
