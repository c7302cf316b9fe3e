-- Ids that reveal nothing (issue 14, item 9). Every table's id came from one identity sequence
-- shared by all units, so a unit that created a customer today and another tomorrow learnt from
-- the difference how many customers every other unit created in between (and the same for
-- orders, cases, leads, ...). Ids now are a keyed permutation of the sequence's value:
--
--   id = 2^48 + feistel_key(nextval(seq))          (seq limited to [1, 2^48))
--
-- a bijection, so ids stay unique without any lookup; new ids lie in [2^48, 2^49), above every
-- id handed out before (all far below 2^48) and below 2^53, so they are exact as JSON numbers.
-- Per-unit numbering was rejected (ARCHITECTURE.md, "Ids"). The key is generated here, once
-- per database, from gen_random_uuid() (pg_strong_random), and lives only in the body of
-- crm.opaque_id: it is in no file and in no dump but the database's own.
set local role crm_owner;

-- A 4-round Feistel network over two 24-bit halves; the round function is the built-in
-- hashint8extended (lookup3, seeded with a per-round 64-bit secret). It is an obfuscation with a
-- 256-bit key, not a cipher with a proof: lookup3 is not a cryptographic PRF.
-- Cost, measured on 1M-row inserts (a nextval default alone: 0.42 µs a row): this form, PL/pgSQL
-- returning the whole network as one expression with the seeds as constants, adds 0.5 µs a row;
-- the same with a variable per half adds 0.8 µs; a LANGUAGE SQL function adds 4 µs in a column
-- default, because PostgreSQL does not inline a SQL function whose parameter is used more than
-- once when the argument is volatile (nextval), and runs it through the slow SQL-function path.
-- (Inlined into a query with a plain argument it would cost 0.24 µs; defaults never get there.)
-- Out-of-range input gives NULL (a NOT NULL violation on the id) instead of a wrong id.
do $$
declare
    seeds bigint[] := array(select ('x' || substr(md5(gen_random_uuid()::text || gen_random_uuid()::text), 1, 16))::bit(64)::bigint
                              from generate_series(1, 4));
    l text := '(n >> 24)';
    r text := '(n & 16777215)';
    t text;
begin
    for i in 1..4 loop
        t := format('(%s # (pg_catalog.hashint8extended(%s, %s) & 16777215))', l, r, seeds[i]);
        l := r;
        r := t;
    end loop;
    execute format($f$
        create function crm.opaque_id(n bigint) returns bigint language plpgsql immutable parallel safe as $b$
        begin
            return case when n >= 0 and n < 281474976710656 then 281474976710656 + ((%s << 24) | %s) end;
        end $b$
        $f$, l, r);
end $$;
comment on function crm.opaque_id(bigint) is
    'The id for a sequence value: a keyed permutation of [0, 2^48) plus 2^48, so ids say nothing about other units'' activity. The key is per database, in this function''s body (readable by roles that can connect with SQL, never by API clients).';
revoke execute on function crm.opaque_id(bigint) from public;

-- Every identity id column of the project's schemas, found in the catalog rather than listed,
-- so that no table is forgotten (08_opaque_ids.sql checks the same way that none is left).
-- For each: lock the table (no insert may take a value from the old sequence meanwhile), create
-- its new sequence at the old one's position, drop the identity (which drops the old sequence),
-- give the new sequence the old name and the column, and set the default. An identity column
-- needs no grant on its sequence, a nextval() default does: USAGE goes to exactly the roles
-- that may insert into the table (table or column grant), and EXECUTE on crm.opaque_id to the
-- same roles. No code inserts ids of its own: `overriding system value` in 04_sharing.sql gives
-- no id and still works on a column without identity.
reset role;  -- the loop reads other roles' privileges and the old sequences as the migrating superuser
do $$
declare
    c record;
    v_last bigint;
    v_called boolean;
    v_cache bigint;
    v_new text;
    v_inserters text;
begin
    for c in
        select cl.oid as rel, n.nspname, cl.relname, a.attname,
               pg_get_serial_sequence(format('%I.%I', n.nspname, cl.relname), a.attname)::regclass as seq
          from pg_attribute a
          join pg_class cl on cl.oid = a.attrelid
          join pg_namespace n on n.oid = cl.relnamespace
         where a.attidentity <> '' and not a.attisdropped and cl.relkind in ('r', 'p')
           and n.nspname in ('crm', 'report')
         order by n.nspname, cl.relname
    loop
        execute format('lock table %s in access exclusive mode', c.rel::regclass);
        execute format('select last_value, is_called from %s', c.seq) into v_last, v_called;
        select s.seqcache into v_cache from pg_sequence s where s.seqrelid = c.seq;
        v_new := c.relname || '_' || c.attname || '_opaque_seq';
        execute format('create sequence %I.%I as bigint minvalue 1 maxvalue 281474976710655 cache %s', c.nspname, v_new, v_cache);
        execute format('alter sequence %I.%I owner to %I', c.nspname, v_new, pg_get_userbyid((select relowner from pg_class where oid = c.rel)));
        perform setval(format('%I.%I', c.nspname, v_new)::regclass, v_last, v_called);
        execute format('alter table %s alter column %I drop identity', c.rel::regclass, c.attname);
        execute format('alter sequence %I.%I rename to %I', c.nspname, v_new, c.relname || '_' || c.attname || '_seq');
        v_new := c.relname || '_' || c.attname || '_seq';
        execute format('alter sequence %I.%I owned by %s.%I', c.nspname, v_new, c.rel::regclass, c.attname);
        execute format('alter table %s alter column %I set default crm.opaque_id(nextval(%L::regclass))',
                       c.rel::regclass, c.attname, format('%I.%I', c.nspname, v_new));
        select string_agg(distinct quote_ident(r.rolname), ', ') into v_inserters
          from pg_roles r
         where r.oid <> (select relowner from pg_class where oid = c.rel)
           and exists (select 1 from aclexplode((select relacl from pg_class where oid = c.rel)) x
                        where x.grantee = r.oid and x.privilege_type = 'INSERT'
                       union all
                       select 1 from pg_attribute ca, aclexplode(ca.attacl) x
                        where ca.attrelid = c.rel and x.grantee = r.oid and x.privilege_type = 'INSERT');
        if v_inserters is not null then
            execute format('grant usage on sequence %I.%I to %s', c.nspname, v_new, v_inserters);
            execute format('grant execute on function crm.opaque_id(bigint) to %s', v_inserters);
        end if;
    end loop;
end $$;
