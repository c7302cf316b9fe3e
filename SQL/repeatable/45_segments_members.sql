-- A segment's members (the compiled rules of 45_segments_rules.sql, run with EXECUTE ... USING:
-- the statement is fixed fragments, every value bound), its audience on one channel (members
-- who accept the channel and can be reached on it), the tasks its task rule makes, and its size
-- per day (report.segment_size).
set local role crm_owner;

-- The rules of one of the unit's segments; CR404 naming p_field when there is none.
create or replace function crm.segment_rules(p_id bigint, p_field text default 'id') returns jsonb
    language plpgsql stable as $$
declare
    r jsonb;
begin
    select s.rules into r from crm.segment s where s.tenant_id = (select crm.current_tenant()) and s.id = p_id;
    if r is null then
        raise exception 'segment % not found', p_id using errcode = 'CR404', detail = 'field=' || p_field;
    end if;
    return r;
end $$;

-- A channel's condition on c: consent given (an explicit true; false or unknown never lands a
-- customer on the channel's list) and a way to reach the customer on it.
create or replace function crm.segment_channel_condition(p_channel text) returns text language plpgsql immutable as $$
begin
    if p_channel is null or p_channel not in ('phone', 'sms', 'email', 'mail') then
        raise exception 'invalid params: channel must be phone, sms, email or mail' using errcode = 'CR422', detail = 'field=channel', hint = 'bad_value';
    end if;
    return case p_channel
        when 'phone' then ' and coalesce(c.consent -> ''phone'' = ''true''::jsonb, false) and cardinality(c.phones) > 0'
        when 'sms' then ' and coalesce(c.consent -> ''sms'' = ''true''::jsonb, false) and cardinality(c.phones) > 0'
        when 'email' then ' and coalesce(c.consent -> ''email'' = ''true''::jsonb, false) and cardinality(c.emails) > 0'
        when 'mail' then ' and coalesce(c.consent -> ''mail'' = ''true''::jsonb, false) and c.address is not null' end;
end $$;

-- The statements hash the unit's customers and rollups (a million ids at a time), so they run
-- with work_mem 64MB (the hashes stay in memory instead of spilling in batches: 4 MB was 2-3x
-- slower), without merge joins (ids are opaque, so a scan of crm.customer in id order, which a
-- merge join wants, is a random walk over its heap: 4 s against 0.4 s for a sequential scan at a
-- million customers) and without JIT (compiling took longer than the hash joins it would speed).
-- A page of members (a limit) still stops early through the primary key (nested loops).

-- The members' ids after p_after in id order, at most p_lim (null: all); with p_channel only the
-- audience on that channel.
create or replace function crm.segment_member_ids(p_rules jsonb, p_after bigint, p_lim int, p_channel text default null)
    returns setof bigint language plpgsql stable set work_mem = '64MB' set enable_mergejoin = off set jit = off as $$
declare
    q record := crm.segment_compile(p_rules);
begin
    return query execute q.sql || case when p_channel is null then '' else crm.segment_channel_condition(p_channel) end
                         || ' and c.id > $3 order by c.id limit $4'
        using q.vals, crm.current_tenant(), coalesce(p_after, 0), p_lim;
end $$;

-- How many customers the rules select (with p_channel: the audience on it).
create or replace function crm.segment_count(p_rules jsonb, p_channel text default null) returns bigint
    language plpgsql stable set work_mem = '64MB' set enable_mergejoin = off set jit = off as $$
declare
    q record := crm.segment_compile(p_rules);
    n bigint;
begin
    execute 'select count(*) from (' || q.sql || case when p_channel is null then '' else crm.segment_channel_condition(p_channel) end
            || ') m' into n using q.vals, crm.current_tenant();
    return n;
end $$;

create or replace function crm.segment_member_json(c crm.customer) returns json language sql stable
    return json_build_object('id', c.id::text, 'name', c.name, 'lifecycle_stage', c.lifecycle_stage, 'segment', c.segment,
                             'email', c.emails[1], 'phone', c.phones[1], 'consent', c.consent);

-- The count and the first p_sample members, from one run of the rules.
create or replace function crm.segment_preview(p_rules jsonb, p_sample int) returns json
    language plpgsql stable set work_mem = '64MB' set enable_mergejoin = off set jit = off as $$
declare
    q record := crm.segment_compile(p_rules);
    n bigint;
    first bigint[];
begin
    execute 'with m as materialized (' || q.sql || ') select (select count(*) from m), array(select id from m order by id limit $3)'
        into n, first using q.vals, crm.current_tenant(), p_sample;
    return json_build_object('count', n, 'customers',
        coalesce((select json_agg(crm.segment_member_json(c) order by c.id) from crm.customer c
                   where c.tenant_id = (select crm.current_tenant()) and c.id = any (first)), '[]'));
end $$;

-- A task rule: {"kind": call|visit|greeting|other, "channel": phone|sms|email|mail, "every_days":
-- 1..365, "note": text}. A call goes by phone; a greeting by email, mail or sms.
create or replace function crm.check_segment_task_rule(p jsonb) returns jsonb language plpgsql stable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    checked jsonb;
    checked_days int;
    k text;
begin
    if p is null or p = 'null' then
        return null;
    end if;
    if jsonb_typeof(p) <> 'object' then
        invalid := crm.segment_invalid('task_rule', 'not_an_object', 'a task rule is an object');
    end if;
    select x into k from jsonb_object_keys(p) x where x not in ('kind', 'channel', 'every_days', 'note') limit 1;
    if k is not null then
        invalid := crm.segment_invalid('task_rule.' || k, 'unknown_key', 'a task rule has kind, channel, every_days and note');
    end if;
    checked := crm.segment_strings(p->'kind', 'task_rule.kind', true, array['call', 'visit', 'greeting', 'other']);
    checked := crm.segment_strings(p->'channel', 'task_rule.channel', true,
        case p->>'kind' when 'call' then array['phone'] when 'greeting' then array['email', 'mail', 'sms']
                        else array['phone', 'sms', 'email', 'mail'] end);
    checked_days := crm.segment_int(coalesce(p->'every_days', 'null'), 'task_rule.every_days', 1, 365, null);
    if p ? 'note' and (jsonb_typeof(p->'note') <> 'string' or length(p->>'note') > 500) then
        invalid := crm.segment_invalid('task_rule.note', 'bad_value', 'must be a string of at most 500 characters');
    end if;
    return p;
end $$;

-- The task rules of the unit's segments: each member in the rule's channel audience gets one task
-- of the rule's kind per every_days period (rule_key segment:<id>:<period>:<customer>, so a rerun
-- makes none twice). Run by crm.run_task_rules. Returns the number of tasks created.
create or replace function crm.run_segment_task_rules(p_now timestamptz default now()) returns int
    language plpgsql as $$
declare
    s record;
    n int;
    total int := 0;
begin
    for s in select x.id, x.name, x.rules, x.task_rule from crm.segment x
              where x.tenant_id = (select crm.current_tenant()) and x.task_rule is not null order by x.id loop
        begin
            insert into crm.task (tenant_id, kind, customer_id, due_at, note, rule_key)
            select crm.current_tenant(), s.task_rule->>'kind', m.id, p_now,
                   coalesce(s.task_rule->>'note', s.task_rule->>'kind' || ' for segment ' || s.name),
                   'segment:' || s.id || ':' || floor(extract(epoch from p_now) / ((s.task_rule->>'every_days')::int * 86400))::bigint || ':' || m.id
              from crm.segment_member_ids(s.rules, null, null, s.task_rule->>'channel') m(id)
            on conflict (tenant_id, rule_key) do nothing;
            get diagnostics n = row_count;
            total := total + n;
        exception when sqlstate 'CR422' then
            -- Rules saved valid that no longer are: this segment is skipped, the unit's other work goes on.
            raise warning 'segment %: %', s.id, sqlerrm;
        end;
    end loop;
    return total;
end $$;

-- Each of the unit's segments' size on p_day, once (a later run that day keeps the first count).
-- Run by the scheduled job. Returns the number of segments counted.
create or replace function crm.snapshot_segment_sizes(p_day date default (now() at time zone 'UTC')::date) returns int
    language plpgsql as $$
declare
    s record;
    total int := 0;
begin
    for s in select x.id, x.rules from crm.segment x
              where x.tenant_id = (select crm.current_tenant())
                and not exists (select 1 from crm.segment_size z where z.tenant_id = x.tenant_id and z.segment_id = x.id and z.day = p_day)
              order by x.id loop
        begin
            insert into crm.segment_size (tenant_id, segment_id, day, members)
            values (crm.current_tenant(), s.id, p_day, crm.segment_count(s.rules))
            on conflict do nothing;
            total := total + 1;
        exception when sqlstate 'CR422' then
            raise warning 'segment %: %', s.id, sqlerrm;
        end;
    end loop;
    return total;
end $$;

create or replace view report.segment_size with (security_invoker = true) as
select t.slug as tenant, s.id as segment_id, s.name as segment, z.day, z.members, z.taken_at
  from crm.segment_size z
  join crm.segment s on s.tenant_id = z.tenant_id and s.id = z.segment_id
  join crm.tenant t on t.id = z.tenant_id;
comment on view report.segment_size is 'Each saved segment''s number of members per day, taken once a day by the scheduled job (crm.snapshot_segment_sizes): how a segment grows or shrinks.';
comment on column report.segment_size.tenant is 'The business unit (slug).';
comment on column report.segment_size.segment_id is 'The segment.';
comment on column report.segment_size.segment is 'The segment''s name.';
comment on column report.segment_size.day is 'The day (UTC) the size was taken.';
comment on column report.segment_size.members is 'Customers the segment''s rules selected that day.';
comment on column report.segment_size.taken_at is 'When it was counted.';

grant execute on function crm.segment_rules(bigint, text), crm.segment_channel_condition(text),
    crm.segment_member_ids(jsonb, bigint, int, text), crm.segment_count(jsonb, text), crm.segment_member_json(crm.customer),
    crm.segment_preview(jsonb, int) to crm_unit, crm_viewer;
grant execute on function crm.check_segment_task_rule(jsonb), crm.run_segment_task_rules(timestamptz), crm.snapshot_segment_sizes(date) to crm_unit;
grant select on report.segment_size to crm_unit, crm_reporter;
