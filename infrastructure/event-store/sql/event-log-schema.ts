import type { Migration } from '../../persistence/migrations.ts';

/**
 * The event log, shared verbatim by the PostgreSQL server and PGlite adapters.
 *
 * Global order (docs/adr/0002-global-log-ordering.md): an event's position is
 * `(transaction id << 16) + index in its append`, and readers only read below the oldest
 * transaction id still running. Appends never wait on each other unless they write the same
 * stream, and a reader never passes an event that may still commit.
 */
export const EVENT_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'event log',
    sql: /* sql */ `
CREATE TABLE events (
  position     bigint      PRIMARY KEY,
  stream_id    text        NOT NULL,
  revision     bigint      NOT NULL,
  id           uuid        NOT NULL,
  type         text        NOT NULL,
  data         jsonb       NOT NULL,
  metadata     jsonb       NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision),
  CONSTRAINT events_id_key UNIQUE (id),
  CONSTRAINT events_revision_not_negative CHECK (revision >= 0)
);

-- Events are immutable for everybody short of a superuser who disables triggers.
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'events are immutable: % on events is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- The first position no reader may pass yet: every transaction id below the oldest one still
-- running belongs to a finished transaction, so the log below it will never change again.
CREATE FUNCTION event_log_horizon() RETURNS bigint LANGUAGE sql STABLE AS $fn$
  SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 16
$fn$;

-- The core of an append, shared by the single and the batched entry points. The caller holds
-- the stream's lock and passes the position of the first event; nothing is raised for a
-- conflict, so one refused append does not abort the others of a batch.
-- p_expected: 'any' | 'no_stream' | 'stream_exists' | a revision as decimal text.
-- status: 'ok', 'duplicate' (the same events already stand where expected), 'conflict'.
CREATE FUNCTION append_to_locked_stream(p_stream text, p_expected text, p_events jsonb, p_first_position bigint,
  OUT status text, OUT next_expected_revision bigint, OUT last_position bigint, OUT actual_revision bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    int := jsonb_array_length(p_events);
  v_found_stream text;
  v_found_revision bigint;
  v_matching int;
BEGIN
  SELECT max(e.revision) INTO actual_revision FROM events e WHERE e.stream_id = p_stream;
  IF (p_expected = 'no_stream' AND actual_revision IS NOT NULL)
     OR (p_expected = 'stream_exists' AND actual_revision IS NULL)
     OR (p_expected NOT IN ('any', 'stream_exists', 'no_stream') AND actual_revision IS DISTINCT FROM p_expected::bigint) THEN
    -- The same ids again, standing in order at the place the writer expected: succeed without
    -- writing. Anything else is a conflict.
    SELECT e.stream_id, e.revision INTO v_found_stream, v_found_revision
      FROM events e WHERE e.id = (p_events -> 0 ->> 'id')::uuid;
    IF FOUND AND v_found_stream = p_stream AND (
         (p_expected = 'no_stream' AND v_found_revision = 0)
         OR (p_expected NOT IN ('any', 'stream_exists', 'no_stream') AND v_found_revision = p_expected::bigint + 1)) THEN
      SELECT count(*) INTO v_matching
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, ord)
        JOIN events e ON e.stream_id = p_stream AND e.revision = v_found_revision + n.ord - 1 AND e.id = (n.event ->> 'id')::uuid;
      IF v_matching = v_count THEN
        status := 'duplicate';
        next_expected_revision := v_found_revision + v_count - 1;
        SELECT e.position INTO last_position FROM events e WHERE e.stream_id = p_stream AND e.revision = next_expected_revision;
        RETURN;
      END IF;
    END IF;
    status := 'conflict';
    RETURN;
  END IF;

  INSERT INTO events (position, stream_id, revision, id, type, data, metadata)
  SELECT p_first_position + n.ord - 1, p_stream, coalesce(actual_revision, -1) + n.ord,
         (n.event ->> 'id')::uuid, n.event ->> 'type', n.event -> 'data', n.event -> 'metadata'
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, ord);
  status := 'ok';
  next_expected_revision := coalesce(actual_revision, -1) + v_count;
  last_position := p_first_position + v_count - 1;
END
$fn$;

-- Appends one batch of events to one stream. Must be the only write of its transaction: the
-- positions come from the transaction id, taken after the stream's lock (see ADR 0002).
CREATE FUNCTION append_events(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (status text, next_expected_revision bigint, last_position bigint, actual_revision bigint)
LANGUAGE plpgsql AS $fn$
BEGIN
  -- An advisory lock takes no transaction id, so the id this transaction receives below is
  -- newer than that of every append it waited for, and the stream's revision order agrees with
  -- the global order.
  PERFORM pg_advisory_xact_lock(hashtextextended(p_stream, 0));
  RETURN QUERY SELECT * FROM append_to_locked_stream(p_stream, p_expected, p_events, pg_current_xact_id()::text::bigint << 16);
END
$fn$;

-- Many appends in one transaction and one commit (group commit by the adapter). Streams are
-- locked first, in name order (no deadlocks), and only then is the transaction id taken.
-- p_appends: [{ "stream": ..., "expected": ..., "events": [...] }, ...], at most 65,536 events.
CREATE FUNCTION append_events_batch(p_appends jsonb)
RETURNS TABLE (item int, status text, next_expected_revision bigint, last_position bigint, actual_revision bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_stream text;
  v_base bigint;
  v_offset bigint := 0;
  v_append jsonb;
  v_item int := 0;
  v_result record;
BEGIN
  FOR v_stream IN SELECT DISTINCT a ->> 'stream' FROM jsonb_array_elements(p_appends) a ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(v_stream, 0));
  END LOOP;
  v_base := pg_current_xact_id()::text::bigint << 16;
  FOR v_append IN SELECT a FROM jsonb_array_elements(p_appends) a LOOP
    SELECT * INTO v_result FROM append_to_locked_stream(v_append ->> 'stream', v_append ->> 'expected', v_append -> 'events', v_base + v_offset);
    IF v_result.status = 'ok' THEN v_offset := v_offset + jsonb_array_length(v_append -> 'events'); END IF;
    item := v_item; status := v_result.status; next_expected_revision := v_result.next_expected_revision;
    last_position := v_result.last_position; actual_revision := v_result.actual_revision;
    RETURN NEXT;
    v_item := v_item + 1;
  END LOOP;
END
$fn$;
`,
  },
  {
    // Tamper evidence (docs/adr/0011-tamper-evident-event-log.md): every event carries the
    // sha256 of the canonical JSON (jsonb's text form) of its type, data, metadata and the hash
    // of its stream's previous event, computed in the statement that appends it.
    version: 10,
    name: 'event hash chain',
    sql: /* sql */ `
ALTER TABLE events ADD COLUMN hash text;

CREATE OR REPLACE FUNCTION event_chain_hash(p_previous text, p_type text, p_data jsonb, p_metadata jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
  SELECT encode(sha256(convert_to(jsonb_build_object('type', p_type, 'data', p_data, 'metadata', p_metadata, 'previousHash', p_previous)::text, 'UTF8')), 'hex')
$fn$;

CREATE OR REPLACE FUNCTION append_to_locked_stream(p_stream text, p_expected text, p_events jsonb, p_first_position bigint,
  OUT status text, OUT next_expected_revision bigint, OUT last_position bigint, OUT actual_revision bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count    int := jsonb_array_length(p_events);
  v_found_stream text;
  v_found_revision bigint;
  v_matching int;
  v_previous text;
  v_event jsonb;
  v_index int;
  v_hashes text[] := '{}';
BEGIN
  SELECT e.revision, e.hash INTO actual_revision, v_previous FROM events e WHERE e.stream_id = p_stream ORDER BY e.revision DESC LIMIT 1;
  IF (p_expected = 'no_stream' AND actual_revision IS NOT NULL)
     OR (p_expected = 'stream_exists' AND actual_revision IS NULL)
     OR (p_expected NOT IN ('any', 'stream_exists', 'no_stream') AND actual_revision IS DISTINCT FROM p_expected::bigint) THEN
    SELECT e.stream_id, e.revision INTO v_found_stream, v_found_revision
      FROM events e WHERE e.id = (p_events -> 0 ->> 'id')::uuid;
    IF FOUND AND v_found_stream = p_stream AND (
         (p_expected = 'no_stream' AND v_found_revision = 0)
         OR (p_expected NOT IN ('any', 'stream_exists', 'no_stream') AND v_found_revision = p_expected::bigint + 1)) THEN
      SELECT count(*) INTO v_matching
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, ord)
        JOIN events e ON e.stream_id = p_stream AND e.revision = v_found_revision + n.ord - 1 AND e.id = (n.event ->> 'id')::uuid;
      IF v_matching = v_count THEN
        status := 'duplicate';
        next_expected_revision := v_found_revision + v_count - 1;
        SELECT e.position INTO last_position FROM events e WHERE e.stream_id = p_stream AND e.revision = next_expected_revision;
        RETURN;
      END IF;
    END IF;
    status := 'conflict';
    RETURN;
  END IF;

  -- Each hash needs the one before it, so they are computed in order; the rows then go in with
  -- one INSERT (a statement per row costs more than the hashing).
  v_previous := coalesce(v_previous, repeat('0', 64));
  FOR v_index IN 0 .. v_count - 1 LOOP
    v_event := p_events -> v_index;
    v_previous := event_chain_hash(v_previous, v_event ->> 'type', v_event -> 'data', v_event -> 'metadata');
    v_hashes := v_hashes || v_previous;
  END LOOP;
  INSERT INTO events (position, stream_id, revision, id, type, data, metadata, hash)
  SELECT p_first_position + n.ord - 1, p_stream, coalesce(actual_revision, -1) + n.ord,
         (n.event ->> 'id')::uuid, n.event ->> 'type', n.event -> 'data', n.event -> 'metadata', v_hashes[n.ord]
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(event, ord);
  status := 'ok';
  next_expected_revision := coalesce(actual_revision, -1) + v_count;
  last_position := p_first_position + v_count - 1;
END
$fn$;
`,
  },
];
