-- +goose Up
-- submitted keeps the document of an order as the merchant submitted it
-- through the API (POST /orders), so that a rebuild from the inbox
-- (ResetCanonical) starts from it instead of losing its lines and
-- addresses: the merchant's request is not an inbox message.
ALTER TABLE orders ADD COLUMN submitted TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN submitted;
