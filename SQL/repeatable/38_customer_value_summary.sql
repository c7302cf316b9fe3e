-- The customer value summary (0060): per customer what report.customer_value reads besides the
-- customer's own row and its RFM summary.
--   * Survey scores: a sum and a count, changed by every statement that adds, moves (merges) or
--     removes answers (the statement triggers below): the mean is exact.
--   * Contacts per channel and the three preferred channels: the contacts trigger
--     (crm.interaction_channel_months, 23_channel_months.sql) appends what each statement adds as
--     delta rows (crm.customer_channel_delta), and so does the update trigger below for contacts a
--     merge moves; the report adds them to the summary's counts and the scheduled job folds them
--     into them (crm.refresh_customer_value). Contacts are not deleted.
--   * The tier of the current year: what crm.customer_tier_snapshot holds, copied by the snapshot's
--     statement triggers (its writers: the scheduled refresh, reports.refresh_tiers, merges).
--   * The revenue and gross margin of the last 12 months move with every sale and with the
--     calendar: refreshed by the scheduled job (crm.refresh_customer_value, called by
--     crm.compact_sales_rollups), not by the order path (orders.create pays nothing for them).
--     The report says when (figures_as_of) and reads the rollup instead while a row's window is not
--     the current one.
-- The counts change by delta rows only (contacts added, contacts moved), committed with the
-- contacts; the fold alone rewrites the counts, adding what it removes to each row's latest
-- version, so it takes no lock and waits for no writer.
set local role crm_owner;

-- The preferred channels of a set of contact counts ({"channel": count}): the three of most
-- contacts, most first, ties by name; null without contacts (report.customer_value's rule).
create or replace function crm.preferred_channels(p_counts jsonb) returns text[]
    language sql immutable parallel safe
    return (select (array_agg(e.key order by e.value::int desc, e.key))[1:3] from jsonb_each_text(p_counts) e
             where e.value::int > 0);

-- A customer's contact counts and preferred channels after its deltas (p_channels[i] gaining
-- p_contacts[i]): the counts summed, and the preferred channels re-ranked among the old three and
-- the channels added to (no other channel's count changed, so none other can pass the old third;
-- after a fall, a merge's, among all). Plain expressions but for that: the fold calls it for every
-- customer with deltas (the report ranks unfolded deltas set-wise, by crm.preferred_channels' rule).
create or replace function crm.add_channel_contacts(p_counts jsonb, p_preferred text[], p_channels text[], p_contacts int[],
                                                    out counts jsonb, out preferred text[])
    language plpgsql immutable parallel safe as $$
declare
    i int;
    j int;
    x text;
    candidates text[] := coalesce(p_preferred, '{}');
    fell boolean := false;
begin
    counts := coalesce(p_counts, '{}');
    for i in 1 .. coalesce(cardinality(p_channels), 0) loop
        counts := counts || jsonb_build_object(p_channels[i], coalesce((counts ->> p_channels[i])::int, 0) + p_contacts[i]);
        if (counts ->> p_channels[i])::int = 0 then
            counts := counts - p_channels[i];   -- (a channel a merge emptied)
        end if;
        if not p_channels[i] = any (candidates) then
            candidates := candidates || p_channels[i];
        end if;
        fell := fell or p_contacts[i] < 0;
    end loop;
    if fell then
        candidates := array(select jsonb_object_keys(counts));
    end if;
    -- (insertion sort: most contacts first, then by name; channels without contacts are left out)
    preferred := '{}';
    foreach x in array candidates loop
        continue when coalesce((counts ->> x)::int, 0) <= 0;
        j := cardinality(preferred) + 1;
        while j > 1 and ((counts ->> preferred[j - 1])::int < (counts ->> x)::int
                         or ((counts ->> preferred[j - 1])::int = (counts ->> x)::int and preferred[j - 1] > x)) loop
            j := j - 1;
        end loop;
        preferred := preferred[1:j - 1] || x || preferred[j:];
    end loop;
    preferred := case when cardinality(preferred) > 0 then preferred[1:3] end;
end $$;

-- Contacts moved to another customer (merges; erasure changes their text only): what each
-- statement moved, as delta rows (the moved-from customers' counts fall, the others' rise).
create or replace function crm.interaction_value_update() returns trigger language plpgsql as $$
begin
    insert into crm.customer_channel_delta (tenant_id, customer_id, channel, contacts)
    select d.tenant_id, d.customer_id, d.channel, sum(d.n)
      from (select n.tenant_id, n.customer_id, n.channel, 1 as n from moved_to n
            union all
            select o.tenant_id, o.customer_id, o.channel, -1 from moved_from o) d
     group by 1, 2, 3
    having sum(d.n) <> 0;
    return null;
end $$;

create or replace trigger interaction_value_update after update on crm.interaction
    referencing old table as moved_from new table as moved_to for each statement execute function crm.interaction_value_update();

-- Survey answers added, moved (merges: another customer) or removed: each statement adds what it
-- changed per customer to the score sums and counts.
create or replace function crm.survey_value_statement() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into crm.customer_value_summary as v (tenant_id, customer_id, score_sum, score_count)
        select n.tenant_id, n.customer_id, sum(n.score), count(*) from new_answers n group by 1, 2
        on conflict (tenant_id, customer_id) do update
           set score_sum = v.score_sum + excluded.score_sum, score_count = v.score_count + excluded.score_count;
    elsif tg_op = 'UPDATE' then
        insert into crm.customer_value_summary as v (tenant_id, customer_id, score_sum, score_count)
        select d.tenant_id, d.customer_id, sum(d.score), sum(d.n) from (
            select n.tenant_id, n.customer_id, n.score, 1 as n from new_answers n
            union all
            select o.tenant_id, o.customer_id, -o.score, -1 from old_answers o) d
         group by 1, 2
        having sum(d.score) <> 0 or sum(d.n) <> 0
        on conflict (tenant_id, customer_id) do update
           set score_sum = v.score_sum + excluded.score_sum, score_count = v.score_count + excluded.score_count;
    else
        update crm.customer_value_summary v set score_sum = v.score_sum - d.score, score_count = v.score_count - d.n
          from (select o.tenant_id, o.customer_id, sum(o.score) as score, count(*) as n from old_answers o group by 1, 2) d
         where v.tenant_id = d.tenant_id and v.customer_id = d.customer_id;
    end if;
    return null;
end $$;

create or replace trigger survey_value_insert after insert on crm.survey_response
    referencing new table as new_answers for each statement execute function crm.survey_value_statement();
create or replace trigger survey_value_update after update on crm.survey_response
    referencing old table as old_answers new table as new_answers for each statement execute function crm.survey_value_statement();
create or replace trigger survey_value_delete after delete on crm.survey_response
    referencing old table as old_answers for each statement execute function crm.survey_value_statement();

-- Tier snapshot rows of the current year written or removed: the customers' tier follows (a
-- removed row: no tier). Rows of other years leave the summary alone; the report reads the
-- snapshot itself for a customer whose tier_year is not the current year.
create or replace function crm.tier_value_statement() returns trigger language plpgsql as $$
declare
    v_year int := extract(year from now())::int;
begin
    if tg_op in ('INSERT', 'UPDATE') then
        insert into crm.customer_value_summary as v (tenant_id, customer_id, tier_year, tier)
        select n.tenant_id, n.customer_id, v_year, n.tier from new_tiers n where n.year = v_year
        on conflict (tenant_id, customer_id) do update
           set tier_year = excluded.tier_year, tier = excluded.tier
         where (v.tier_year, v.tier) is distinct from (excluded.tier_year, excluded.tier);
    end if;
    -- (each statement names only the transition tables its trigger has)
    if tg_op = 'UPDATE' then
        -- (a row moved out of the year)
        update crm.customer_value_summary v set tier_year = v_year, tier = null
          from old_tiers o
         where o.year = v_year and v.tenant_id = o.tenant_id and v.customer_id = o.customer_id
           and not exists (select from new_tiers n where n.tenant_id = o.tenant_id and n.customer_id = o.customer_id
                                                     and n.year = v_year);
    elsif tg_op = 'DELETE' then
        update crm.customer_value_summary v set tier_year = v_year, tier = null
          from old_tiers o
         where o.year = v_year and v.tenant_id = o.tenant_id and v.customer_id = o.customer_id;
    end if;
    return null;
end $$;

create or replace trigger tier_value_insert after insert on crm.customer_tier_snapshot
    referencing new table as new_tiers for each statement execute function crm.tier_value_statement();
create or replace trigger tier_value_update after update on crm.customer_tier_snapshot
    referencing old table as old_tiers new table as new_tiers for each statement execute function crm.tier_value_statement();
create or replace trigger tier_value_delete after delete on crm.customer_tier_snapshot
    referencing old table as old_tiers for each statement execute function crm.tier_value_statement();

-- The channel deltas of the caller's unit folded into the counts: the rows this statement sees
-- go, and what they add is added to each customer's row as it is when the row is written (its
-- latest version, should a merge have recomputed it meanwhile), so no lock is taken (the unit's
-- writers go on; deltas committed meanwhile wait for the next fold). A customer without a row gets
-- the deltas as its counts. Returns the delta rows removed. (crm.fold_rollup_deltas calls it every
-- minute, crm.refresh_customer_value every pass of the scheduled job.)
create or replace function crm.fold_customer_channels() returns int language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    n int;
begin
    with gone as (
        delete from crm.customer_channel_delta d where d.tenant_id = v_tenant
        returning d.customer_id, d.channel, d.contacts),
    added as (
        select g.customer_id, array_agg(g.channel) as channels, array_agg(g.contacts) as contacts from gone g group by 1),
    folded as (
        insert into crm.customer_value_summary as v (tenant_id, customer_id, channel_contacts, preferred_channels)
        select v_tenant, a.customer_id, r.counts, r.preferred
          from added a cross join lateral crm.add_channel_contacts('{}', null, a.channels, a.contacts) r
        on conflict (tenant_id, customer_id) do update
           set (channel_contacts, preferred_channels) =
               (select r.counts, r.preferred
                  from (select array_agg(e.key) as channels, array_agg(e.value::int) as contacts
                          from jsonb_each_text(excluded.channel_contacts) e) x
                 cross join lateral crm.add_channel_contacts(v.channel_contacts, v.preferred_channels, x.channels, x.contacts) r)
        returning 1)
    select count(*)::int into n from gone;
    return n;
end $$;

-- The scheduled refresh of the caller's unit: the channel deltas folded; every customer's revenue and gross margin of the
-- 12 months from this month's 11 months ago on (the monthly rollup), and its tier of this year
-- (the snapshot, to set tier_year on customers the triggers never saw). Only rows whose figures or
-- window changed are written (the first refresh of a month rewrites every customer with a sale in
-- either window); the unit's refresh time is what the report shows as figures_as_of. Returns the
-- number of rows written.
create or replace function crm.refresh_customer_value() returns int language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v_from date := date_trunc('month', now() - interval '11 months')::date;
    v_year int := extract(year from now())::int;
    n int;
begin
    perform crm.fold_customer_channels();
    with fresh as materialized (
        select c.id as customer_id, coalesce(m.revenue, 0) as revenue, coalesce(m.gross_margin, 0) as gross_margin, ts.tier
          from crm.customer c
          left join (select s.customer_id, sum(s.revenue) as revenue, sum(s.revenue - s.cost) as gross_margin
                       from crm.customer_month_summary s where s.tenant_id = v_tenant and s.month >= v_from
                      group by 1) m on m.customer_id = c.id
          left join crm.customer_tier_snapshot ts on ts.tenant_id = v_tenant and ts.customer_id = c.id and ts.year = v_year
         where c.tenant_id = v_tenant),
    -- (compared as text: 0 and 0.00 are equal numbers, but the report shows what the rollup sums)
    changed as materialized (
        select f.* from fresh f
          left join crm.customer_value_summary v on v.tenant_id = v_tenant and v.customer_id = f.customer_id
         where v.customer_id is null
            or (v.months_from, v.revenue_12m::text, v.gross_margin_12m::text, v.tier_year, v.tier)
               is distinct from (v_from, f.revenue::text, f.gross_margin::text, v_year, f.tier)),
    kept as (
        insert into crm.customer_value_summary as v (tenant_id, customer_id, tier_year, tier, months_from, revenue_12m, gross_margin_12m)
        select v_tenant, f.customer_id, v_year, f.tier, v_from, f.revenue, f.gross_margin from changed f
        on conflict (tenant_id, customer_id) do update
           set tier_year = excluded.tier_year, tier = excluded.tier, months_from = excluded.months_from,
               revenue_12m = excluded.revenue_12m, gross_margin_12m = excluded.gross_margin_12m
        returning 1)
    select count(*)::int into n from kept;
    insert into crm.customer_value_refresh as r (tenant_id, months_from, tier_year, refreshed_at)
    values (v_tenant, v_from, v_year, now())
    on conflict (tenant_id) do update set months_from = excluded.months_from, tier_year = excluded.tier_year,
                                          refreshed_at = excluded.refreshed_at;
    return n;
end $$;
comment on table crm.customer_channel_delta is 'Contacts per customer and channel added since the last fold into crm.customer_value_summary.channel_contacts (delta rows: sum them); appended by the contacts trigger, folded by crm.fold_customer_channels (the server every minute, and the scheduled job), read by report.customer_value.';
comment on function crm.fold_customer_channels() is 'Folds the caller''s unit''s contacts per channel (crm.customer_channel_delta) into crm.customer_value_summary; returns the delta rows removed.';
comment on function crm.refresh_customer_value() is 'Folds the caller''s unit''s channel deltas into crm.customer_value_summary and refreshes its 12-month revenue and gross margin (and this year''s tier) there (the scheduled job, through crm.compact_sales_rollups); returns the rows whose 12-month figures or tier were written.';

-- Rebuilds a unit's summary from its answers, contacts, tier snapshot and monthly rollup (after a
-- seed, which writes with the triggers off; crm.rebuild_sales_rollups calls it). Superuser only:
-- it reads and rewrites the unit's rows whatever the policies. The rules above, in one pass.
create or replace function crm.rebuild_customer_value(p_tenant uuid) returns void language sql as $$
    delete from crm.customer_channel_delta where tenant_id = p_tenant;
    delete from crm.customer_value_summary where tenant_id = p_tenant;
    insert into crm.customer_value_summary (tenant_id, customer_id, score_sum, score_count, channel_contacts, preferred_channels,
                                            tier_year, tier, months_from, revenue_12m, gross_margin_12m)
    select c.tenant_id, c.id, coalesce(sv.score_sum, 0), coalesce(sv.score_count, 0), coalesce(ch.counts, '{}'),
           crm.preferred_channels(ch.counts), extract(year from now())::int, ts.tier,
           date_trunc('month', now() - interval '11 months')::date, coalesce(m.revenue, 0), coalesce(m.gross_margin, 0)
      from crm.customer c
      left join (select s.customer_id, sum(s.score) as score_sum, count(*)::int as score_count
                   from crm.survey_response s where s.tenant_id = p_tenant group by 1) sv on sv.customer_id = c.id
      left join (select n.customer_id, jsonb_object_agg(n.channel, n.contacts) as counts
                   from (select i.customer_id, i.channel, count(*)::int as contacts from crm.interaction i
                          where i.tenant_id = p_tenant group by 1, 2) n
                  group by 1) ch on ch.customer_id = c.id
      left join crm.customer_tier_snapshot ts on ts.tenant_id = p_tenant and ts.customer_id = c.id
                                             and ts.year = extract(year from now())::int
      left join (select s.customer_id, sum(s.revenue) as revenue, sum(s.revenue - s.cost) as gross_margin
                   from crm.customer_month_summary s
                  where s.tenant_id = p_tenant and s.month >= date_trunc('month', now() - interval '11 months')
                  group by 1) m on m.customer_id = c.id
     where c.tenant_id = p_tenant;
    insert into crm.customer_value_refresh as r (tenant_id, months_from, tier_year, refreshed_at)
    values (p_tenant, date_trunc('month', now() - interval '11 months')::date, extract(year from now())::int, now())
    on conflict (tenant_id) do update set months_from = excluded.months_from, tier_year = excluded.tier_year,
                                          refreshed_at = excluded.refreshed_at;
$$;

revoke execute on function crm.preferred_channels(jsonb), crm.add_channel_contacts(jsonb, text[], text[], int[]), crm.interaction_value_update(),
    crm.survey_value_statement(), crm.tier_value_statement(), crm.fold_customer_channels(), crm.refresh_customer_value() from public;
grant execute on function crm.preferred_channels(jsonb), crm.add_channel_contacts(jsonb, text[], text[], int[]), crm.interaction_value_update(),
    crm.survey_value_statement(), crm.tier_value_statement(), crm.fold_customer_channels(), crm.refresh_customer_value() to crm_unit;
