-- The built-in appointment book: bookable resources per bot, and their bookings as rows of
-- `appointments` (the book's row is the truth; call finalize links to it instead of inserting another).
-- No double booking is enforced here, by an exclusion constraint: two confirmed bookings of the same
-- resource and seat never overlap in time. A resource with capacity N has seats 1..N per slot.

CREATE EXTENSION IF NOT EXISTS btree_gist;  -- uuid/int equality inside a GiST exclusion constraint

CREATE TABLE book_resources (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bot_id          uuid NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    capacity        integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 1 AND 500),   -- bookings per slot
    slot_minutes    integer NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 720),
    services        text[] NOT NULL DEFAULT '{}',      -- what can be booked on it; [] = anything
    party_max       integer CHECK (party_max >= 1),    -- a table's size; NULL = one person per booking
    is_active       boolean NOT NULL DEFAULT true,     -- removal deactivates (bookings keep their resource)
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bot_id, name)
);

ALTER TABLE appointments
    ADD COLUMN resource_id     uuid REFERENCES book_resources(id),  -- NO ACTION: a bot's delete cascades to both
    ADD COLUMN starts_at       timestamptz,
    ADD COLUMN ends_at         timestamptz,
    ADD COLUMN seat            integer,
    ADD COLUMN party_size      integer,
    ADD COLUMN idempotency_key text,
    -- The call that made the booking, without a foreign key: a mid-call booking may be written before the
    -- recorder has flushed the call's row. Finalize sets call_id (the FK) from it.
    ADD COLUMN booked_by_call  uuid,
    ADD CONSTRAINT appointments_book_shape CHECK (
        resource_id IS NULL
        OR (starts_at IS NOT NULL AND ends_at > starts_at AND seat >= 1 AND party_size >= 1)),
    ADD CONSTRAINT appointments_no_double_booking EXCLUDE USING gist (
        resource_id WITH =, seat WITH =, tstzrange(starts_at, ends_at) WITH &&)
        WHERE (status = 'confirmed' AND resource_id IS NOT NULL);

-- A retried book.reserve (same idempotency key) finds the booking it made instead of making another.
CREATE UNIQUE INDEX appointments_idempotency ON appointments (bot_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX appointments_booked_by_call ON appointments (booked_by_call) WHERE booked_by_call IS NOT NULL;
CREATE INDEX appointments_resource_time ON appointments (resource_id, starts_at) WHERE resource_id IS NOT NULL;
