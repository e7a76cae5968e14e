from photo_organizer.cli.main import main

raise SystemExit(main())
