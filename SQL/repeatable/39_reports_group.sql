-- The group view of a company's units that share customers (issue "[5/7] One customer across
-- units"; seed 000: an entertainment group sharing customer data between all its branches and
-- hotels, so that each offer follows the customer's profit contribution to the whole group).
--
-- For a unit (the `tenant` column: whose view it is) every customer it sees: its own and those
-- other units share with it (crm.customer_share, live). For each, the profit contribution of the
-- last 12 months and the tier in the unit it belongs to, and the same guest across the units
-- the viewing unit sees: every customer of another such unit with one of its phones or emails
-- (the contact index), their units, the group's 12-month margin and revenue, and the best tier and
-- each unit's tier. The figures come from the rollups (crm.customer_month_summary) and the tier
-- snapshot (crm.customer_tier_snapshot), never from order lines.
--
-- Who sees what: under crm_unit (or crm_viewer) crm.tenant shows the caller's unit only, so the
-- rows are that unit's view, read under its own policies (its customers and the shared ones,
-- 0009, 0049). Under crm_reporter every unit's view, or the unit SET crm.tenant chose (whose
-- policies then show its own rows only). Which customers a unit sees is spelled out from the
-- shares as well (the reporter's policies show everything), with the lean shapes of the policies:
-- an array of the units sharing all customers, a hashed set of the customers shared one by one.
set local role crm_owner;

-- The view read whole and one page of it (by customer id, after p_after, at most p_limit rows) are
-- two statements, chosen per call: a page picks its customers first and matches and sums only
-- them, by key; the whole view reads every table once, set-wise (at 1,000,000 customers the
-- page statement run over everything took 25-37 s: three contact-index probes, a 12-month sum
-- and a tier look-up a customer).
--   * The 12 months start at a date computed once (v_from): `month >= date_trunc(...)` compared a
--     date with a timestamptz, a time-zone conversion a row (summing a million customers' 12
--     months took 1.0 s with it, 0.4 s without). Months from midnight of that first day on are
--     the same months.
--   * Work_mem 64MB: the whole read hashes a million customers, their rollup sums and tiers (4 MB
--     spilled them in batches). No merge joins: ids are opaque, so a scan in id order is a random
--     walk over the heap (as 45_segments_members.sql). No JIT: compiling costs more than it saves.
create or replace function report.group_customer_value(p_after bigint default null, p_limit int default null)
    returns table (tenant text, unit text, unit_name text, customer_id bigint, name text,
                   gross_margin_12m numeric, revenue_12m numeric, tier text,
                   group_units text[], group_customers int, group_gross_margin_12m numeric, group_revenue_12m numeric,
                   group_best_tier text, group_tiers jsonb, share_of_group_margin numeric)
    language plpgsql stable security invoker set work_mem = '64MB' set enable_mergejoin = off set jit = off as $$
declare
    v_from date := date_trunc('month', now() - interval '11 months')::date;
    v_year int := extract(year from now())::int;
    -- The units some viewer sees all customers of: its own and those sharing all with it (a
    -- constant for the planner, whose estimates then name the units).
    v_whole uuid[];
begin
    if p_after is not null or p_limit is not null then
        return query
        with viewer as materialized (
            select v.id, v.slug,
                   array(select s.tenant_id from crm.customer_share s
                          where s.shared_with = v.id and s.revoked_at is null and s.customer_id is null) as all_of,
                   exists (select from crm.customer_share s where s.shared_with = v.id and s.revoked_at is null) as sees_others
              from crm.tenant v),
        one_by_one as materialized (
            select distinct s.shared_with, s.tenant_id, s.customer_id from crm.customer_share s
             where s.shared_with in (select v.id from viewer v) and s.revoked_at is null and s.customer_id is not null),
        -- Each viewer's own customers, those of each unit sharing all, those shared one by one (by a
        -- unit not also sharing all): each read along the primary key (unit, id) from the cursor, at
        -- most a page of each, and the page cut from them: a page reads pages, not the units.
        page as materialized (
            select x.* from (
                select v.id as viewer_id, v.slug as viewer, v.all_of, v.sees_others, c.tenant_id, c.id, c.name, c.phones, c.emails
                  from viewer v
                  cross join lateral unnest(array[v.id] || v.all_of) u(id)
                  cross join lateral (select c.tenant_id, c.id, c.name, c.phones, c.emails from crm.customer c
                                       where c.tenant_id = u.id and c.id > coalesce(p_after, 0) and c.merged_into is null
                                       order by c.id limit p_limit) c
                union all
                select v.id, v.slug, v.all_of, v.sees_others, c.tenant_id, c.id, c.name, c.phones, c.emails
                  from one_by_one o join viewer v on v.id = o.shared_with
                  join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id
                 where not o.tenant_id = any (v.all_of) and c.merged_into is null and c.id > coalesce(p_after, 0)) x
             order by x.id, x.viewer
             limit p_limit),
        -- The same guest: customers of other units the viewer sees, with a phone or email in common
        -- (no probe when the viewer sees no other unit's customers).
        member as materialized (
            select distinct p.viewer_id, p.id as of_id, p.tenant_id as of_tenant, m.tenant_id, m.customer_id
              from page p
              cross join lateral (select p.tenant_id, p.id
                                  union all
                                  select k.tenant_id, k.customer_id from crm.customer_contact k
                                   where p.sees_others and k.kind = 'phone' and k.value = any (p.phones)
                                  union all
                                  select k.tenant_id, k.customer_id from crm.customer_contact k
                                   where p.sees_others and k.kind = 'email' and k.value = any (p.emails)) m(tenant_id, customer_id)
             where (m.tenant_id = p.tenant_id and m.customer_id = p.id)
                or (m.tenant_id <> p.tenant_id
                    and (m.tenant_id = p.viewer_id or m.tenant_id = any (p.all_of)
                         or (m.tenant_id, m.customer_id) in (select o.tenant_id, o.customer_id from one_by_one o where o.shared_with = p.viewer_id)))),
        figures as materialized (
            -- (margin and revenue from one read of the customer's months)
            select x.tenant_id, x.customer_id, u.slug, u.name as unit_name,
                   coalesce(s.margin, 0) as margin, coalesce(s.revenue, 0) as revenue,
                   (select t.tier from crm.customer_tier_snapshot t
                     where t.tenant_id = x.tenant_id and t.customer_id = x.customer_id and t.year = v_year) as tier
              from (select distinct m.tenant_id, m.customer_id from member m) x
              join crm.tenant_directory() u on u.id = x.tenant_id
              cross join lateral (select sum(s.revenue - s.cost) as margin, sum(s.revenue) as revenue from crm.customer_month_summary s
                                   where s.tenant_id = x.tenant_id and s.customer_id = x.customer_id
                                     and s.month >= v_from) s),
        -- The guest's figures across the units, per customer of the page (grouped once, joined by hash).
        grp as materialized (
            select m.viewer_id, m.of_tenant, m.of_id, array_agg(distinct y.slug order by y.slug) as units, count(*)::int as customers,
                   sum(y.margin) as margin, sum(y.revenue) as revenue, min(y.tier) as best_tier
              from member m join figures y on y.tenant_id = m.tenant_id and y.customer_id = m.customer_id
             group by 1, 2, 3),
        unit_tier as materialized (
            select z.viewer_id, z.of_tenant, z.of_id, jsonb_object_agg(z.slug, z.tier) as tiers
              from (select m.viewer_id, m.of_tenant, m.of_id, y.slug, min(y.tier) as tier
                      from member m join figures y on y.tenant_id = m.tenant_id and y.customer_id = m.customer_id
                     where y.tier is not null group by 1, 2, 3, 4) z
             group by 1, 2, 3)
        select p.viewer, f.slug, f.unit_name, p.id, p.name,
               f.margin::numeric(16,2), f.revenue::numeric(16,2), f.tier,
               g.units, g.customers, g.margin::numeric(16,2), g.revenue::numeric(16,2), g.best_tier, coalesce(t.tiers, '{}'),
               case when g.margin <> 0 then round(f.margin / g.margin, 4) end
          from page p
          join figures f on f.tenant_id = p.tenant_id and f.customer_id = p.id
          join grp g on g.viewer_id = p.viewer_id and g.of_tenant = p.tenant_id and g.of_id = p.id
          left join unit_tier t on t.viewer_id = p.viewer_id and t.of_tenant = p.tenant_id and t.of_id = p.id
         order by p.id, p.viewer;
        return;
    end if;
    v_whole := array(select distinct u.id
                       from crm.tenant v
                       cross join lateral unnest(array[v.id] || array(select s.tenant_id from crm.customer_share s
                                                                        where s.shared_with = v.id and s.revoked_at is null
                                                                          and s.customer_id is null)) u(id));
    -- Planned at every call with the values ($1 the units seen whole, $2 the first month, $3 the
    -- year): a plan kept for the session would be made for one viewer's units and used for another's.
    return query execute $q$
    with viewer as materialized (
        select v.id, v.slug,
               array(select s.tenant_id from crm.customer_share s
                      where s.shared_with = v.id and s.revoked_at is null and s.customer_id is null) as all_of
          from crm.tenant v),
    one_by_one as materialized (
        select distinct s.shared_with, s.tenant_id, s.customer_id from crm.customer_share s
         where s.shared_with in (select v.id from viewer v) and s.revoked_at is null and s.customer_id is not null),
    -- Every customer each viewer sees: its own, those of each unit sharing all, those shared one by
    -- one (by a unit not also sharing all), ids above 0 as the page statement's (crm.opaque_id
    -- gives none below 2^48). Not in id order: the view promises none, and sorting a million rows
    -- (on disk) cost 0.3-0.5 s more; a page is in order.
    seen as (
        select v.id as viewer_id, v.slug as viewer, c.tenant_id, c.id, c.name
          from viewer v
          cross join lateral unnest(array[v.id] || v.all_of) u(id)
          join crm.customer c on c.tenant_id = u.id
         where c.merged_into is null and c.id > 0
        union all
        select v.id, v.slug, c.tenant_id, c.id, c.name
          from one_by_one o join viewer v on v.id = o.shared_with
          join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id
         where not o.tenant_id = any (v.all_of) and c.merged_into is null and c.id > 0),
    -- The same guest, only for viewers that see another unit's customers (a unit that shares with
    -- nobody, the common case, matches nothing). Every customer a viewer sees is in `seen`, and
    -- "x has a phone or email of y" is symmetric (the contact index holds exactly the customers'
    -- values), so the pairs are found from one side: each viewer's customers outside the unit it
    -- sees most of (counted up to 100,000: enough to tell a large unit from a small one) probe the
    -- contact index, restricted to the units the viewer sees, and each pair found is taken both
    -- ways. A few thousand shared customers next to a million own ones cost a few thousand probes.
    sharing as materialized (
        select v.id as viewer_id, v.all_of,
               array[v.id] || v.all_of || array(select distinct o.tenant_id from one_by_one o where o.shared_with = v.id) as units,
               (select u.id from unnest(array[v.id] || v.all_of) u(id)
                 order by (select count(*) from (select from crm.customer c where c.tenant_id = u.id limit 100000) c) desc,
                          u.id = v.id desc, u.id
                 limit 1) as largest
          from viewer v
         where cardinality(v.all_of) > 0 or exists (select from one_by_one o where o.shared_with = v.id)),
    drive as materialized (
        select s.viewer_id, c.tenant_id, c.id, c.phones, c.emails
          from sharing s
          cross join lateral unnest(array[s.viewer_id] || s.all_of) u(id)
          cross join lateral (select c.tenant_id, c.id, c.phones, c.emails from crm.customer c
                               where c.tenant_id = u.id and c.merged_into is null
                              offset 0) c  -- (kept a lateral read by the key: not a scan of every unit's customers)
         where u.id <> s.largest
        union all
        select v.id, c.tenant_id, c.id, c.phones, c.emails
          from one_by_one o join viewer v on v.id = o.shared_with
          join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id
         where not o.tenant_id = any (v.all_of) and c.merged_into is null),
    pair as materialized (
        select d.viewer_id, d.tenant_id as of_tenant, d.id as of_id, m.tenant_id, m.customer_id
          from drive d
          join sharing s on s.viewer_id = d.viewer_id
          cross join lateral (select k.tenant_id, k.customer_id from crm.customer_contact k
                               where k.kind = 'phone' and k.value = any (d.phones) and k.tenant_id = any (s.units)
                              union all
                              select k.tenant_id, k.customer_id from crm.customer_contact k
                               where k.kind = 'email' and k.value = any (d.emails) and k.tenant_id = any (s.units)) m(tenant_id, customer_id)
         where m.tenant_id <> d.tenant_id
           and (m.tenant_id = d.viewer_id or m.tenant_id = any (s.all_of)
                or (m.tenant_id, m.customer_id) in (select o.tenant_id, o.customer_id from one_by_one o where o.shared_with = d.viewer_id))),
    -- Per customer with a match: the customer itself and each match (as the page's `member`).
    member as materialized (
        select distinct x.viewer_id, x.of_tenant, x.of_id, x.tenant_id, x.customer_id
          from pair p
          cross join lateral (values (p.viewer_id, p.of_tenant, p.of_id, p.tenant_id, p.customer_id),
                                     (p.viewer_id, p.tenant_id, p.customer_id, p.of_tenant, p.of_id),
                                     (p.viewer_id, p.of_tenant, p.of_id, p.of_tenant, p.of_id),
                                     (p.viewer_id, p.tenant_id, p.customer_id, p.tenant_id, p.customer_id))
                              x(viewer_id, of_tenant, of_id, tenant_id, customer_id)),
    -- Their figures by key (few), and the guest's across the units, as the page statement.
    figures as materialized (
        select x.tenant_id, x.customer_id, u.slug,
               coalesce(s.margin, 0) as margin, coalesce(s.revenue, 0) as revenue,
               (select t.tier from crm.customer_tier_snapshot t
                 where t.tenant_id = x.tenant_id and t.customer_id = x.customer_id and t.year = $3) as tier
          from (select distinct m.tenant_id, m.customer_id from member m) x
          join crm.tenant_directory() u on u.id = x.tenant_id
          cross join lateral (select sum(s.revenue - s.cost) as margin, sum(s.revenue) as revenue from crm.customer_month_summary s
                               where s.tenant_id = x.tenant_id and s.customer_id = x.customer_id and s.month >= $2) s),
    -- (Each unit's tier is its best: jsonb keeps the last of a repeated key, so worst first.)
    grp as materialized (
        select m.viewer_id, m.of_tenant, m.of_id, array_agg(distinct y.slug order by y.slug) as units, count(*)::int as customers,
               sum(y.margin) as margin, sum(y.revenue) as revenue, min(y.tier) as best_tier,
               jsonb_object_agg(y.slug, y.tier order by y.tier desc) filter (where y.tier is not null) as tiers
          from member m join figures y on y.tenant_id = m.tenant_id and y.customer_id = m.customer_id
         group by 1, 2, 3),
    unit as materialized (
        select u.id, u.slug, u.name, array[u.slug] as units, jsonb_build_object(u.slug, 'A') as a,
               jsonb_build_object(u.slug, 'B') as b, jsonb_build_object(u.slug, 'C') as c, jsonb_build_object(u.slug, 'D') as d
          from crm.tenant_directory() u),
    -- Every customer's own figures: the 12 months of the units seen whole in one grouped read (a
    -- customer without a sale has no row: 0), and those of customers shared one by one by key.
    single as materialized (
        select distinct o.tenant_id, o.customer_id from one_by_one o where not o.tenant_id = any ($1)),
    months as (
        select s.tenant_id, s.customer_id, sum(s.revenue - s.cost) as margin, sum(s.revenue) as revenue
          from crm.customer_month_summary s
         where s.tenant_id = any ($1) and s.month >= $2
         group by 1, 2
        union all
        select o.tenant_id, o.customer_id, x.margin, x.revenue
          from single o
          cross join lateral (select sum(s.revenue - s.cost) as margin, sum(s.revenue) as revenue from crm.customer_month_summary s
                               where s.tenant_id = o.tenant_id and s.customer_id = o.customer_id and s.month >= $2) x),
    tiers as (
        select t.tenant_id, t.customer_id, t.tier from crm.customer_tier_snapshot t
         where t.tenant_id = any ($1) and t.year = $3
        union all
        select t.tenant_id, t.customer_id, t.tier
          from single o join crm.customer_tier_snapshot t on t.tenant_id = o.tenant_id and t.customer_id = o.customer_id and t.year = $3)
    -- A customer without a match is a guest of one record: its own figures are the group's, its
    -- share of them 1.0000 when not 0 (round(x / x, 4), the page statement's expression over one
    -- row), its tiers {"unit": "tier"} (prebuilt per unit for the tiers A-D: jsonb_build_object a
    -- row cost a third of a second at a million customers).
    select p.viewer, u.slug, u.name, p.id, p.name,
           coalesce(m.margin, 0)::numeric(16,2), coalesce(m.revenue, 0)::numeric(16,2), t.tier,
           coalesce(g.units, u.units), coalesce(g.customers, 1),
           coalesce(g.margin, coalesce(m.margin, 0))::numeric(16,2), coalesce(g.revenue, coalesce(m.revenue, 0))::numeric(16,2),
           case when g.of_id is null then t.tier else g.best_tier end,
           case when g.of_id is not null then coalesce(g.tiers, '{}')
                when t.tier is null then '{}'
                else case t.tier when 'A' then u.a when 'B' then u.b when 'C' then u.c when 'D' then u.d
                                 else jsonb_build_object(u.slug, t.tier) end end,
           case when g.of_id is not null then case when g.margin <> 0 then round(coalesce(m.margin, 0) / g.margin, 4) end
                when m.margin <> 0 then 1.0000 end
      from seen p
      join unit u on u.id = p.tenant_id
      left join months m on m.tenant_id = p.tenant_id and m.customer_id = p.id
      left join tiers t on t.tenant_id = p.tenant_id and t.customer_id = p.id
      left join grp g on g.viewer_id = p.viewer_id and g.of_tenant = p.tenant_id and g.of_id = p.id
    $q$ using v_whole, v_from, v_year;
end $$;

comment on function report.group_customer_value(bigint, int) is
    'report.group_customer_value by pages: the customers after p_after (by id), at most p_limit (null: all), with their figures.';

create or replace view report.group_customer_value with (security_invoker = true) as
select r.tenant, r.unit, r.unit_name, r.customer_id, r.name, r.gross_margin_12m, r.revenue_12m, r.tier,
       r.group_units, r.group_customers, r.group_gross_margin_12m, r.group_revenue_12m, r.group_best_tier, r.group_tiers,
       r.share_of_group_margin
  from report.group_customer_value() r;

comment on view report.group_customer_value is 'A guest across the units that share: for each unit (tenant), every customer it sees (its own and those other units share with it), its profit contribution (gross margin of the last 12 months) and tier in its own unit, and the same guest across the units the viewing unit sees (customers of those units with a phone or email in common): the group''s margin and revenue, the best tier and each unit''s tier. From the monthly sales rollup and the tier snapshot. Paged by report.group_customer_value(after, limit).';
comment on column report.group_customer_value.tenant is 'The business unit whose view this is (slug): the customers it sees, its own and those shared with it.';
comment on column report.group_customer_value.unit is 'The unit the customer belongs to (slug): the tenant itself, or the unit that shares the customer with it.';
comment on column report.group_customer_value.unit_name is 'That unit''s name.';
comment on column report.group_customer_value.customer_id is 'The customer (of unit).';
comment on column report.group_customer_value.name is 'The customer''s name.';
comment on column report.group_customer_value.gross_margin_12m is 'The customer''s profit contribution in its unit: revenue minus cost of the sales of the last 12 months (this month and the 11 before, UTC).';
comment on column report.group_customer_value.revenue_12m is 'Revenue of those sales.';
comment on column report.group_customer_value.tier is 'The customer''s tier this year in its unit (A, B, C, D; the tier snapshot), null when not tiered.';
comment on column report.group_customer_value.group_units is 'The units where the tenant sees this guest (this customer, and customers of other units it sees with one of its phones or emails).';
comment on column report.group_customer_value.group_customers is 'How many customer records the guest has across those units.';
comment on column report.group_customer_value.group_gross_margin_12m is 'The guest''s profit contribution to the group: the 12-month gross margin summed over those records.';
comment on column report.group_customer_value.group_revenue_12m is 'The 12-month revenue summed over those records.';
comment on column report.group_customer_value.group_best_tier is 'The best of the guest''s tiers across those units (A before B, C, D), null when tiered nowhere.';
comment on column report.group_customer_value.group_tiers is 'The guest''s tier in each of those units that tiered it, as {"unit slug": "tier"}.';
comment on column report.group_customer_value.share_of_group_margin is 'This record''s 12-month margin divided by the group''s (null when the group''s is 0).';

grant execute on function report.group_customer_value(bigint, int) to crm_unit, crm_viewer, crm_reporter;
grant execute on function crm.tenant_directory() to crm_reporter;
grant select on report.group_customer_value to crm_unit, crm_reporter;
