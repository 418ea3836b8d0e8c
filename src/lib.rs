//! Examples and integration tests of Insula.
