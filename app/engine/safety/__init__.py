"""What keeps a hostile file or tenant inside the tenant: the SQL gate, the restricted sign-in, the proof of
isolation, Resguardo's own record, the tenant's job lock."""
