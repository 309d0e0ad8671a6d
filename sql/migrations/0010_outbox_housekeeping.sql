-- The outbox sender claims a batch (claimed_until) in a short transaction and sends without
-- holding row locks; other senders skip claimed rows until the claim runs out, so a sender
-- that dies mid-batch delays its messages but loses none.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
