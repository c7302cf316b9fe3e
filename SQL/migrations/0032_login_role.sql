-- The server's login role loses the fixed password 0001 once gave it ('crm_app', readable by anyone
-- with the source): anyone who could reach PostgreSQL with password authentication could log in as
-- crm_app and take any unit's role. A password an operator chose since is kept; only the known
-- one is removed (the operator then sets one from a secret, or uses peer or certificate
-- authentication: README, "Security"). Reading pg_authid needs a superuser; a migration run by a
-- non-superuser cannot tell, and says so.
--
-- The stored verifier is compared without the password ever leaving this file's constant: md5
-- ('md5' || md5(password || role)) or SCRAM-SHA-256 (RFC 5802/7677: StoredKey = H(HMAC(Hi(password,
-- salt, i), 'Client Key'))), computed here with the built-in sha256().
do $$
declare
    stored text;
    known constant text := 'crm_app';
    parts text[];
    iterations int;
    salt bytea;
    k bytea;                     -- the HMAC key (the password), padded to the block size
    ipad bytea;
    opad bytea;
    u bytea;
    acc bit(256);
    salted bytea;
    matches boolean := false;
begin
    if not exists (select from pg_roles where rolname = 'crm_app') then
        return;
    end if;
    if not (select rolsuper from pg_roles where rolname = current_user) then
        raise notice 'not a superuser: cannot check whether crm_app still has the old fixed password; '
                     'run "alter role crm_app password null" as a superuser if it does';
        return;
    end if;
    select rolpassword into stored from pg_authid where rolname = 'crm_app';
    if stored is null then
        return;
    elsif stored like 'md5%' then
        matches := stored = 'md5' || md5(known || 'crm_app');
    elsif stored like 'SCRAM-SHA-256$%' then
        -- SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
        parts := regexp_match(stored, '^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$');
        iterations := parts[1]::int;
        salt := decode(parts[2], 'base64');
        k := convert_to(known, 'UTF8') || decode(repeat('00', 64 - octet_length(convert_to(known, 'UTF8'))), 'hex');
        ipad := k;
        opad := k;
        for i in 0 .. 63 loop
            ipad := set_byte(ipad, i, get_byte(k, i) # 54);    -- 0x36
            opad := set_byte(opad, i, get_byte(k, i) # 92);    -- 0x5c
        end loop;
        -- Hi(): U1 = HMAC(salt || INT(1)), Ui = HMAC(U(i-1)), result = U1 xor ... xor Ui.
        u := sha256(opad || sha256(ipad || salt || '\x00000001'::bytea));
        acc := ('x' || encode(u, 'hex'))::bit(256);
        for i in 2 .. iterations loop
            u := sha256(opad || sha256(ipad || u));
            acc := acc # ('x' || encode(u, 'hex'))::bit(256);
        end loop;
        salted := decode(lpad(to_hex(substring(acc from 1 for 64)::bigint), 16, '0')
                      || lpad(to_hex(substring(acc from 65 for 64)::bigint), 16, '0')
                      || lpad(to_hex(substring(acc from 129 for 64)::bigint), 16, '0')
                      || lpad(to_hex(substring(acc from 193 for 64)::bigint), 16, '0'), 'hex');
        -- ClientKey = HMAC(SaltedPassword, 'Client Key'); StoredKey = H(ClientKey).
        k := salted || decode(repeat('00', 32), 'hex');
        ipad := k;
        opad := k;
        for i in 0 .. 63 loop
            ipad := set_byte(ipad, i, get_byte(k, i) # 54);
            opad := set_byte(opad, i, get_byte(k, i) # 92);
        end loop;
        matches := encode(sha256(sha256(opad || sha256(ipad || convert_to('Client Key', 'UTF8')))), 'base64') = parts[3];
    end if;
    if matches then
        alter role crm_app password null;
        raise notice 'removed the old fixed password of crm_app; give it one from a secret or use peer/cert authentication';
    end if;
end $$;

-- What `crm serve` needs as crm_app beyond its request roles: to check at start that the applied
-- migrations match the files (crm_meta is created by the migrator, as the migrating role).
grant usage on schema crm_meta to crm_app;
grant select on crm_meta.schema_migration to crm_app;

-- Who may connect at all: the project's roles (granted in 0001 and 0031) and superusers, not
-- every login role of the cluster (PostgreSQL grants CONNECT and TEMPORARY to PUBLIC).
do $$
begin
    execute format('revoke connect, temporary on database %I from public', current_database());
end $$;
