"""Operations and documentation tooling: screenshots, the config schema."""
