import Logging
import PostgresNIO

/// The schema, as numbered migrations. A migration is never edited once released: add a new one.
public enum Migrations {
    /// One schema change: its version and the statements it runs, in order, in one transaction.
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [PostgresQuery]
    }

    /// Every migration, oldest first.
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "accounts, sessions, tokens, outbox, audit",
            statements: [
                """
                CREATE TABLE accounts (
                    id uuid PRIMARY KEY,
                    email text NOT NULL,
                    email_normalized text NOT NULL UNIQUE,
                    display_name text NOT NULL,
                    password_hash text NOT NULL,
                    email_verified boolean NOT NULL DEFAULT false,
                    role text NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
                    disabled_at timestamptz,
                    created_at timestamptz NOT NULL,
                    updated_at timestamptz NOT NULL
                )
                """,
                """
                CREATE TABLE sessions (
                    id uuid PRIMARY KEY,
                    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL,
                    last_used_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL,
                    user_agent text,
                    region text NOT NULL,
                    revoked_at timestamptz,
                    revoked_reason text
                )
                """,
                "CREATE INDEX sessions_account ON sessions (account_id)",
                """
                CREATE TABLE refresh_tokens (
                    token_hash bytea PRIMARY KEY,
                    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL,
                    rotated_at timestamptz
                )
                """,
                "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)",
                """
                CREATE TABLE one_time_tokens (
                    token_hash bytea PRIMARY KEY,
                    account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                    purpose text NOT NULL CHECK (purpose IN ('email-verification', 'email-change', 'password-reset')),
                    new_email text,
                    created_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL,
                    used_at timestamptz
                )
                """,
                """
                CREATE TABLE outbox (
                    id bigserial PRIMARY KEY,
                    created_at timestamptz NOT NULL,
                    recipient text NOT NULL,
                    template text NOT NULL,
                    subject text NOT NULL,
                    body text NOT NULL,
                    token text,
                    sent_at timestamptz
                )
                """,
                """
                CREATE TABLE audit_events (
                    id bigserial PRIMARY KEY,
                    occurred_at timestamptz NOT NULL DEFAULT now(),
                    kind text NOT NULL,
                    account_id uuid,
                    actor_id uuid,
                    region text NOT NULL,
                    request_id text,
                    client_address text,
                    user_agent text
                )
                """,
                "CREATE INDEX audit_events_account ON audit_events (account_id, id)",
            ]),
        Migration(
            version: 2, name: "the shared guess budget",
            statements: [
                // One row per throttled key (a hash: no e-mail address of a stranger is kept), on the primary,
                // shared by every portal of every region.
                """
                CREATE TABLE login_failures (
                    key text PRIMARY KEY,
                    failures integer NOT NULL,
                    last_failure timestamptz NOT NULL,
                    blocked_until timestamptz
                )
                """,
                "CREATE INDEX login_failures_last_failure ON login_failures (last_failure)",
            ]),
        Migration(
            version: 3, name: "refresh retries within a grace window",
            statements: [
                // The hash of the token that replaced this one, and that token sealed with a key derived from
                // this one (never stored): a retry of a lost answer gets it back, the database alone cannot.
                "ALTER TABLE refresh_tokens ADD COLUMN replaced_by bytea, ADD COLUMN sealed_successor bytea"
            ]),
        Migration(
            version: 4, name: "every write bound to the control plane's epoch",
            statements: [
                // One row, written by the control plane on the primary it promotes (issue 14): the epoch this
                // database is the primary of, and whether it is fenced. No row: no control plane (one region).
                """
                CREATE TABLE dr_epoch (
                    id boolean PRIMARY KEY DEFAULT true CHECK (id),
                    epoch bigint NOT NULL CHECK (epoch > 0),
                    fenced boolean NOT NULL DEFAULT false,
                    updated_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                // Checked inside every write's own transaction, on the database it commits to: a fenced database
                // takes nothing, and a managed one only writes that name its epoch (`portal.epoch`, which the
                // portal sets from its lease). Every row written records the epoch it was written in.
                """
                CREATE FUNCTION dr_guard_write() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    bound text := nullif(current_setting('portal.epoch', true), '');
                    held dr_epoch%ROWTYPE;
                    managed boolean;
                BEGIN
                    SELECT * INTO held FROM dr_epoch WHERE id;
                    managed := FOUND;
                    IF managed AND held.fenced THEN
                        RAISE EXCEPTION 'this database is fenced (epoch %): it takes no writes', held.epoch
                            USING ERRCODE = 'DR001';
                    END IF;
                    IF managed AND bound IS DISTINCT FROM held.epoch::text THEN
                        RAISE EXCEPTION 'a write of epoch % refused: this database is the primary of epoch %',
                            coalesce(bound, 'none'), held.epoch USING ERRCODE = 'DR002';
                    END IF;
                    IF TG_OP = 'DELETE' THEN
                        RETURN OLD;
                    END IF;
                    NEW.written_epoch := CASE WHEN managed THEN held.epoch ELSE bound::bigint END;
                    RETURN NEW;
                END
                $$
                """,
            ]
                + Migrations.guardedTables.flatMap { table in
                    [
                        PostgresQuery(unsafeSQL: "ALTER TABLE \(table) ADD COLUMN written_epoch bigint"),
                        PostgresQuery(
                            unsafeSQL:
                                "CREATE TRIGGER dr_guard BEFORE INSERT OR UPDATE OR DELETE ON \(table) "
                                + "FOR EACH ROW EXECUTE FUNCTION dr_guard_write()"),
                    ]
                }),
    ]

    /// Every table the portal writes: each write to one is checked against the epoch (migration 4).
    public static let guardedTables = [
        "accounts", "sessions", "refresh_tokens", "one_time_tokens", "outbox", "audit_events", "login_failures",
    ]

    /// Whether the database's epoch row says fenced (false before migration 4 or without a row).
    static func isFenced(_ connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let table = try await connection.query("SELECT to_regclass('public.dr_epoch') IS NOT NULL", logger: logger)
        var exists = false
        for try await value in table.decode(Bool.self) { exists = value }
        guard exists else { return false }
        let rows = try await connection.query("SELECT fenced FROM dr_epoch WHERE id", logger: logger)
        for try await fenced in rows.decode(Bool.self) { return fenced }
        return false
    }

    /// A migration the database must not take.
    public struct MigrationRefused: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The newest schema version this build knows.
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }

    /// Applies every pending migration, each in its own transaction under an advisory lock, so that several
    /// instances may start at once: the second waits, then finds the version applied and skips it.
    public static func apply(on client: PostgresClient, logger: Logger) async throws {
        // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog.
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
        }
        for migration in all {
            try await unwrappingRefusal { try await apply(migration, on: client, logger: logger) }
        }
    }

    /// A refusal thrown inside the transaction arrives wrapped in PostgresNIO's transaction error.
    static func unwrappingRefusal(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as PostgresTransactionError {
            if let refusal = error.closureError as? MigrationRefused { throw refusal }
            throw error
        }
    }

    /// One migration in its own transaction, unless it is applied already.
    static func apply(_ migration: Migration, on client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))", logger: logger)
            let rows = try await connection.query(
                "SELECT 1 FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
            var applied = false
            for try await _ in rows { applied = true }
            guard !applied else { return }
            // A fenced database takes no schema change either (issue 14, window 6): DDL passes no write check.
            if try await isFenced(connection, logger: logger) {
                throw MigrationRefused(
                    "migration \(migration.version) refused: this database is fenced (dr_epoch), so it is not "
                        + "the primary")
            }
            for statement in migration.statements {
                try await connection.query(statement, logger: logger)
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                logger: logger)
            logger.info("applied migration", metadata: ["version": "\(migration.version)"])
        }
    }

    /// The newest applied version, or 0 on an empty database.
    public static func currentVersion(on client: PostgresClient, logger: Logger) async throws -> Int {
        let rows = try await client.query(
            "SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
        for try await version in rows.decode(Int.self) { return version }
        return 0
    }

    static let advisoryLockKey: Int64 = 0x4375_7374_506F_7274  // "CustPort"
}
