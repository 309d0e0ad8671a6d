"""告知承诺: per item a published commitment form; citizens sign it instead of bringing the
certificate."""
