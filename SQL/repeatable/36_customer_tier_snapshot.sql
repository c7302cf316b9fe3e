-- Refreshes the caller's unit's tier snapshot for a year (default: this year) from the live
-- ranking report.customer_tiers. Rows whose figures did not change are left alone (an hourly
-- refresh of a large unit rewrites only what moved); customers no longer ranked are removed.
-- Returns the number of customers tiered. Run by the scheduled job before the task rules
-- (through crm.keep_customer_tiers, below; no principal: the server's own work) and by managers
-- and directors (tasks.run_rules, reports.refresh_tiers); any other unit role is refused (CR403).
-- Reading tiers never refreshes.
set local role crm_owner;

create or replace function crm.refresh_customer_tiers(p_year int default extract(year from now())::int) returns int
    language plpgsql as $$
declare
    n int;
begin
    if crm.current_principal() is not null and coalesce(crm.current_app_role(), '') not in ('manager', 'director') then
        raise exception 'forbidden: refreshing customer tiers needs a manager or a director' using errcode = 'CR403';
    end if;
    with fresh as materialized (
        select r.customer_id, r.basis_gross_margin, r.share_before, r.tier, r.previous_tier
          from report.customer_tiers(p_year) r
         where r.tenant = (select t.slug from crm.tenant t where t.id = (select crm.current_tenant()))),
    -- EXCEPT is always a hash or sort: NOT EXISTS against the CTE became a nested loop (80,000
    -- squared, minutes) whenever the snapshot had no statistics yet, as after a bulk load.
    gone as (
        delete from crm.customer_tier_snapshot s
         using (select x.customer_id from crm.customer_tier_snapshot x
                 where x.tenant_id = (select crm.current_tenant()) and x.year = p_year
                except
                select f.customer_id from fresh f) g
         where s.tenant_id = (select crm.current_tenant()) and s.year = p_year and s.customer_id = g.customer_id),
    kept as (
        insert into crm.customer_tier_snapshot as s (tenant_id, customer_id, year, tier, previous_tier, basis_gross_margin, share_before)
        select crm.current_tenant(), f.customer_id, p_year, f.tier, f.previous_tier, f.basis_gross_margin, f.share_before
          from fresh f
        on conflict (tenant_id, customer_id, year) do update
           set tier = excluded.tier, previous_tier = excluded.previous_tier, basis_gross_margin = excluded.basis_gross_margin,
               share_before = excluded.share_before, refreshed_at = now()
         where (s.tier, s.previous_tier, s.basis_gross_margin, s.share_before)
               is distinct from (excluded.tier, excluded.previous_tier, excluded.basis_gross_margin, excluded.share_before))
    select count(*)::int into n from fresh;
    return n;
end $$;

comment on function crm.refresh_customer_tiers(int) is 'Recomputes the caller''s unit''s customer tiers for a year (default: this year) into crm.customer_tier_snapshot, which report.customer_tier shows; returns the number of customers tiered.';

-- What the scheduled job keeps (and `crm seed` after its load): this year's snapshot, refreshed,
-- and last year's, made once when the unit has none. Over a year the job's refreshes of "this
-- year" become last year's snapshot by themselves; a unit that has none is one set up or imported
-- during the year, whose last-year tier page was otherwise ranked live on every read (1.5 s at
-- 1,000,000 customers, against ~10 ms from the snapshot). Last year's tiers rank the year before
-- it, which is closed: a late change there is brought in by reports.refresh_tiers(year).
create or replace function crm.keep_customer_tiers() returns int
    language plpgsql as $$
declare
    v_year int := extract(year from now())::int;
begin
    if not exists (select 1 from crm.customer_tier_snapshot s where s.tenant_id = (select crm.current_tenant()) and s.year = v_year - 1) then
        perform crm.refresh_customer_tiers(v_year - 1);
    end if;
    return crm.refresh_customer_tiers(v_year);
end $$;
comment on function crm.keep_customer_tiers() is 'The scheduled job''s tier work for the caller''s unit: refreshes this year''s snapshot, and makes last year''s when the unit has none; returns the number of customers tiered this year.';

-- reports.customer_tiers reads one page of a year's tiers: from the snapshot when the unit has one
-- for that year, else computed live by report.customer_tiers(year) (refreshed_at null) and written
-- nowhere: a read never writes (a viewer's first read of a new year once inserted every customer's
-- tier). Best first, from after (p_after_margin, p_after_id), the key of the previous page's last row.
create or replace function crm.customer_tiers_page(p_year int, p_tier text, p_after_margin numeric, p_after_id bigint, p_limit int)
    returns table (tenant text, customer_id bigint, year int, basis_year int, basis_gross_margin numeric, share_before numeric,
                   tier text, previous_tier text, refreshed_at timestamptz)
    language plpgsql stable as $$
begin
    if exists (select 1 from crm.customer_tier_snapshot s where s.tenant_id = (select crm.current_tenant()) and s.year = p_year) then
        return query
            select r.tenant, r.customer_id, r.year, r.basis_year, r.basis_gross_margin, r.share_before, r.tier, r.previous_tier,
                   r.refreshed_at
              from report.customer_tier r
             where r.year = p_year and (p_tier is null or r.tier = p_tier)
               and (p_after_margin is null or (r.basis_gross_margin, r.customer_id) < (p_after_margin, p_after_id))
             order by r.basis_gross_margin desc, r.customer_id desc
             limit p_limit;
    else
        return query
            select r.tenant, r.customer_id, r.year, r.basis_year, r.basis_gross_margin, r.share_before, r.tier, r.previous_tier,
                   null::timestamptz
              from report.customer_tiers(p_year) r
             where r.tenant = (select t.slug from crm.tenant t where t.id = (select crm.current_tenant()))
               and (p_tier is null or r.tier = p_tier)
               and (p_after_margin is null or (r.basis_gross_margin, r.customer_id) < (p_after_margin, p_after_id))
             order by r.basis_gross_margin desc, r.customer_id desc
             limit p_limit;
    end if;
end $$;
comment on function crm.customer_tiers_page(int, text, numeric, bigint, int) is 'One page of a year''s customer tiers, best first: from the snapshot when the caller''s unit has one for the year, else computed live (refreshed_at null); writes nothing.';

-- Servers before crm.customer_tiers_page filled a missing year's snapshot on first read, as the
-- reader (a viewer wrote tens of thousands of rows): reading no longer writes.
drop function if exists crm.ensure_customer_tiers(int);

grant execute on function crm.refresh_customer_tiers(int), crm.keep_customer_tiers() to crm_unit;
grant execute on function crm.customer_tiers_page(int, text, numeric, bigint, int) to crm_unit, crm_viewer;
