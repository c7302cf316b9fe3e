-- report.group_customer_value read whole set-wise (39_reports_group.sql): the whole view is one
-- statement over every table (pairs matched from the smaller side and taken both ways, the 12
-- months summed in one grouped read, tiers by one scan), a page another (its customers first, by
-- key). Both must give exactly the rows of the definition before (one statement for both, each
-- customer matched by its phones and emails through the contact index): it is copied below as the
-- oracle and compared row for row, as multisets, for every kind of viewer: units that share
-- nothing, receive all of another unit's customers, receive single customers, share all with
-- another; a viewer; a reporter with and without crm.tenant set. Whole reads and pages (first,
-- after a cursor, across a guest matched in several units).
begin;
select plan(17);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000043a1', 'gv-a', 'Group A'),
    ('00000000-0000-0000-0000-0000000043b1', 'gv-b', 'Group B'),
    ('00000000-0000-0000-0000-0000000043c1', 'gv-c', 'Group C'),
    ('00000000-0000-0000-0000-0000000043d1', 'gv-d', 'Group D');

-- Guests by phone (+43 1 ...) and email: one phone in all four units, several phones or emails
-- matching customers of several units, a value repeated in one customer's array, a customer
-- matching another of its own unit (never its own group), one merged away (never seen), customers
-- matching nobody, a unit-D customer with the shared phone (D is shared nothing: never in a group).
insert into crm.customer (tenant_id, name, phones, emails) values
    ('00000000-0000-0000-0000-0000000043a1', 'a1', '{+43100001}', '{one@gv.example}'),
    ('00000000-0000-0000-0000-0000000043a1', 'a2', '{+43100002,+43100003}', '{two@gv.example}'),
    ('00000000-0000-0000-0000-0000000043a1', 'a3', '{+43100009}', '{}'),
    ('00000000-0000-0000-0000-0000000043a1', 'a4', '{+43100001}', '{four@gv.example}'),
    ('00000000-0000-0000-0000-0000000043a1', 'a5 merged', '{+43100003}', '{two@gv.example}'),
    ('00000000-0000-0000-0000-0000000043b1', 'b1', '{+43100001}', '{two@gv.example}'),
    ('00000000-0000-0000-0000-0000000043b1', 'b2', '{+43100003}', '{}'),
    ('00000000-0000-0000-0000-0000000043b1', 'b3', '{}', '{b3@gv.example}'),
    ('00000000-0000-0000-0000-0000000043b1', 'b4', '{+43100002,+43100007}', '{one@gv.example,four@gv.example}'),
    ('00000000-0000-0000-0000-0000000043c1', 'c1', '{+43100001}', '{}'),
    ('00000000-0000-0000-0000-0000000043c1', 'c2', '{+43100008}', '{two@gv.example}'),
    ('00000000-0000-0000-0000-0000000043c1', 'c3', '{+43100003,+43100007}', '{one@gv.example,one@gv.example}'),
    ('00000000-0000-0000-0000-0000000043c1', 'c4', '{+43100006}', '{}'),
    ('00000000-0000-0000-0000-0000000043d1', 'd1', '{+43100001}', '{two@gv.example}');
create temp table gv as select tenant_id, id, name from crm.customer where tenant_id::text like '00000000-0000-0000-0000-000000004%';
update crm.customer set merged_into = (select id from gv where name = 'a1') where id = (select id from gv where name = 'a5 merged');

-- The 12 months: this month, 5 and 11 months back count; 12 months back and more do not. Sums with
-- cents (margin and revenue), a customer with a loss, some without a sale. Tiers this year (A-D,
-- several units' customers tiered differently; one E, which the job never writes, read as it is)
-- and last year's (never read).
insert into crm.customer_month_summary (tenant_id, customer_id, month, revenue, cost, orders)
select g.tenant_id, g.id, (date_trunc('month', now()) - make_interval(months => v.back))::date, v.revenue, v.cost, 1
  from gv g join (values ('a1', 0, 100.10, 40.05), ('a1', 11, 20.00, 5.00), ('a1', 12, 999.00, 1.00),
                         ('a2', 5, 55.55, 60.00), ('a4', 3, 10.00, 10.00), ('b1', 0, 12.34, 1.11), ('b1', 24, 50.00, 0),
                         ('b4', 1, 70.00, 30.00), ('c1', 2, 33.33, 11.11), ('c3', 0, 19.99, 0.99), ('c3', 11, 1.01, 0),
                         ('c4', 4, 8.00, 2.00), ('d1', 0, 500.00, 100.00), ('a3', 13, 5.00, 1.00)) v(name, back, revenue, cost)
    on v.name = g.name;
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select g.tenant_id, g.id, extract(year from now())::int + v.dy, v.tier, 1
  from gv g join (values ('a1', 0, 'B'), ('a2', 0, 'D'), ('a4', 0, 'A'), ('b1', 0, 'C'), ('b4', 0, 'A'), ('c1', 0, 'A'),
                         ('c3', 0, 'B'), ('d1', 0, 'A'), ('b2', -1, 'A'), ('a3', -1, 'A'), ('c4', 0, 'E')) v(name, dy, tier)
    on v.name = g.name;

-- Shares: A shares all with B (two live shares: the view lists A's customers twice for B, as it
-- always did), and a2 one by one besides; C shares c1 and c3 one by one with B and c2 with A; B
-- shares all with C; A's share with D is revoked.
insert into crm.customer_share (tenant_id, customer_id, shared_with, revoked_at)
select v.owner::uuid, (select id from gv where name = v.customer), v.receiver::uuid, case when v.revoked then now() end
  from (values ('00000000-0000-0000-0000-0000000043a1', null, '00000000-0000-0000-0000-0000000043b1', false),
               ('00000000-0000-0000-0000-0000000043a1', null, '00000000-0000-0000-0000-0000000043b1', false),
               ('00000000-0000-0000-0000-0000000043a1', 'a2', '00000000-0000-0000-0000-0000000043b1', false),
               ('00000000-0000-0000-0000-0000000043c1', 'c1', '00000000-0000-0000-0000-0000000043b1', false),
               ('00000000-0000-0000-0000-0000000043c1', 'c3', '00000000-0000-0000-0000-0000000043b1', false),
               ('00000000-0000-0000-0000-0000000043c1', 'c2', '00000000-0000-0000-0000-0000000043a1', false),
               ('00000000-0000-0000-0000-0000000043b1', null, '00000000-0000-0000-0000-0000000043c1', false),
               ('00000000-0000-0000-0000-0000000043a1', null, '00000000-0000-0000-0000-0000000043d1', true)) v(owner, customer, receiver, revoked);

-- The definition before (SQL/repeatable/39_reports_group.sql as of 0058), unchanged but for its name.
create function pg_temp.group_customer_value_oracle(p_after bigint default null, p_limit int default null)
    returns table (tenant text, unit text, unit_name text, customer_id bigint, name text,
                   gross_margin_12m numeric, revenue_12m numeric, tier text,
                   group_units text[], group_customers int, group_gross_margin_12m numeric, group_revenue_12m numeric,
                   group_best_tier text, group_tiers jsonb, share_of_group_margin numeric)
    language sql stable security invoker as $$
    with viewer as materialized (
        select v.id, v.slug,
               array(select s.tenant_id from crm.customer_share s
                      where s.shared_with = v.id and s.revoked_at is null and s.customer_id is null) as all_of
          from crm.tenant v),
    one_by_one as materialized (
        select distinct s.shared_with, s.tenant_id, s.customer_id from crm.customer_share s
         where s.shared_with in (select v.id from viewer v) and s.revoked_at is null and s.customer_id is not null),
    -- Each viewer's own customers, those of each unit sharing all, those shared one by one (by a
    -- unit not also sharing all): each read along the primary key (unit, id) from the cursor, at
    -- most a page of each, and the page cut from them: a page reads pages, not the units.
    page as materialized (
        select x.* from (
            select v.id as viewer_id, v.slug as viewer, v.all_of, c.tenant_id, c.id, c.name, c.phones, c.emails
              from viewer v
              cross join lateral unnest(array[v.id] || v.all_of) u(id)
              cross join lateral (select c.tenant_id, c.id, c.name, c.phones, c.emails from crm.customer c
                                   where c.tenant_id = u.id and c.id > coalesce(p_after, 0) and c.merged_into is null
                                   order by c.id limit p_limit) c
            union all
            select v.id, v.slug, v.all_of, c.tenant_id, c.id, c.name, c.phones, c.emails
              from one_by_one o join viewer v on v.id = o.shared_with
              join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id
             where not o.tenant_id = any (v.all_of) and c.merged_into is null and c.id > coalesce(p_after, 0)) x
         order by x.id, x.viewer
         limit p_limit),
    -- The same guest: customers of other units the viewer sees, with a phone or email in common.
    member as materialized (
        select distinct p.viewer_id, p.id as of_id, p.tenant_id as of_tenant, m.tenant_id, m.customer_id
          from page p
          cross join lateral (select p.tenant_id, p.id
                              union all
                              select k.tenant_id, k.customer_id from crm.customer_contact k
                               where k.kind = 'phone' and k.value = any (p.phones)
                              union all
                              select k.tenant_id, k.customer_id from crm.customer_contact k
                               where k.kind = 'email' and k.value = any (p.emails)) m(tenant_id, customer_id)
         where (m.tenant_id = p.tenant_id and m.customer_id = p.id)
            or (m.tenant_id <> p.tenant_id
                and (m.tenant_id = p.viewer_id or m.tenant_id = any (p.all_of)
                     or (m.tenant_id, m.customer_id) in (select o.tenant_id, o.customer_id from one_by_one o where o.shared_with = p.viewer_id)))),
    figures as materialized (
        -- (margin and revenue from one read of the customer's months)
        select x.tenant_id, x.customer_id, u.slug, u.name as unit_name,
               coalesce(s.margin, 0) as margin, coalesce(s.revenue, 0) as revenue,
               (select t.tier from crm.customer_tier_snapshot t
                 where t.tenant_id = x.tenant_id and t.customer_id = x.customer_id and t.year = extract(year from now())::int) as tier
          from (select distinct m.tenant_id, m.customer_id from member m) x
          join crm.tenant_directory() u on u.id = x.tenant_id
          cross join lateral (select sum(s.revenue - s.cost) as margin, sum(s.revenue) as revenue from crm.customer_month_summary s
                               where s.tenant_id = x.tenant_id and s.customer_id = x.customer_id
                                 and s.month >= date_trunc('month', now() - interval '11 months')) s),
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
     order by p.id, p.viewer
$$;

create function pg_temp.as_unit_gv(p_unit uuid, p_role text default 'crm_unit') returns void language plpgsql as $$
begin
    perform set_config('role', p_role, true);
    perform set_config('crm.tenant_id', p_unit::text, true);
end $$;

-- Rows in one and not the other (as multisets of their text, so that 1.0000 and 1.000 differ),
-- for the whole read and a page.
create function pg_temp.diff(p_after bigint, p_limit int) returns bigint language sql as $$
    select (select count(*) from (select r::text from report.group_customer_value(p_after, p_limit) r
                                  except all select o::text from pg_temp.group_customer_value_oracle(p_after, p_limit) o) x)
         + (select count(*) from (select o::text from pg_temp.group_customer_value_oracle(p_after, p_limit) o
                                  except all select r::text from report.group_customer_value(p_after, p_limit) r) y)
$$;

-- For one viewer: the differences of the view, the whole function, the first page, the page after
-- the first customer, and a page starting at the first guest matched in three units.
create function pg_temp.diffs(p_role text, p_unit uuid) returns text language plpgsql as $$
declare
    v text;
begin
    perform set_config('crm.tenant_id', coalesce(p_unit::text, ''), true);
    execute format('set local role %I', p_role);
    select format('view %s, whole %s, first page %s, after the first %s, from a guest in three units %s',
                  case when p_role = 'crm_viewer' then 0 else
                      (select count(*) from (select r::text from report.group_customer_value r
                                             except all select o::text from pg_temp.group_customer_value_oracle() o) x)
                    + (select count(*) from (select o::text from pg_temp.group_customer_value_oracle() o
                                             except all select r::text from report.group_customer_value r) y) end,
                  pg_temp.diff(null, null), pg_temp.diff(null, 2),
                  pg_temp.diff((select min(o.customer_id) from pg_temp.group_customer_value_oracle() o), 3),
                  pg_temp.diff((select min(o.customer_id) - 1 from pg_temp.group_customer_value_oracle() o where cardinality(o.group_units) >= 3), 2))
      into v;
    reset role;
    return v;
end $$;

-- What a viewer's view holds: rows, and rows of guests matched in more than one unit.
create function pg_temp.shape(p_role text, p_unit uuid) returns text language plpgsql as $$
declare
    v text;
begin
    perform set_config('crm.tenant_id', coalesce(p_unit::text, ''), true);
    execute format('set local role %I', p_role);
    select format('%s rows, %s in groups of several units', count(*), count(*) filter (where cardinality(r.group_units) > 1))
      into v from report.group_customer_value(null, null) r where r.tenant like 'gv-%';
    reset role;
    return v;
end $$;

select is(pg_temp.diffs(r.role, r.unit::uuid), 'view 0, whole 0, first page 0, after the first 0, from a guest in three units 0',
          format('%s of %s: the same rows as the definition before', r.role, coalesce(r.unit, 'every unit')))
  from (values ('crm_unit', '00000000-0000-0000-0000-0000000043a1'), ('crm_unit', '00000000-0000-0000-0000-0000000043b1'),
               ('crm_unit', '00000000-0000-0000-0000-0000000043c1'), ('crm_unit', '00000000-0000-0000-0000-0000000043d1'),
               ('crm_viewer', '00000000-0000-0000-0000-0000000043b1'), ('crm_reporter', null),
               ('crm_reporter', '00000000-0000-0000-0000-0000000043b1')) r(role, unit);

-- The data exercise what they should: per viewer its rows and those of guests in several units.
select is(pg_temp.shape(r.role, r.unit::uuid), r.shape, format('%s of %s: %s', r.role, coalesce(r.unit, 'every unit'), r.shape))
  from (values ('crm_unit', '00000000-0000-0000-0000-0000000043a1', '5 rows, 2 in groups of several units'),
               ('crm_unit', '00000000-0000-0000-0000-0000000043b1', '14 rows, 11 in groups of several units'),
               ('crm_unit', '00000000-0000-0000-0000-0000000043c1', '8 rows, 6 in groups of several units'),
               ('crm_unit', '00000000-0000-0000-0000-0000000043d1', '1 rows, 0 in groups of several units'),
               ('crm_reporter', null, '28 rows, 19 in groups of several units')) r(role, unit, shape);

-- By hand, B's b4: phones +43100002 (A's a2) and +43100007 (C's c3), emails one@ (a1, c3) and
-- four@ (a4): five records in three units. Margins 40.00 + (55.55 - 60.00) + (19.99 - 0.99 + 1.01)
-- + (100.10 - 40.05 + 20.00 - 5.00; a1's sale 12 months back is out) + 0 = 130.61, revenue 276.65;
-- tiers A, D, B, B, A: best A, per unit A, A, B; b4's share 40.00 / 130.61.
select pg_temp.as_unit_gv('00000000-0000-0000-0000-0000000043b1');
select is((select format('%s/%s %s: %s %s %s | %s %s %s %s %s %s %s', r.tenant, r.unit, r.name, r.gross_margin_12m, r.revenue_12m, r.tier,
                         r.group_units, r.group_customers, r.group_gross_margin_12m, r.group_revenue_12m, r.group_best_tier,
                         r.group_tiers, r.share_of_group_margin)
             from report.group_customer_value r where r.name = 'b4'),
          'gv-b/gv-b b4: 40.00 70.00 A | {gv-a,gv-b,gv-c} 5 130.61 276.65 A {"gv-a": "A", "gv-b": "A", "gv-c": "B"} 0.3063',
          'b4 in B: one guest across three units, worked by hand');
reset role;

-- Shares change: one of A's two shares with B is revoked, C shares all with A, c3's share with B
-- is revoked. The next statement reads the new shares.
update crm.customer_share set revoked_at = now()
 where id = (select min(s.id) from crm.customer_share s where s.tenant_id = '00000000-0000-0000-0000-0000000043a1'
                and s.shared_with = '00000000-0000-0000-0000-0000000043b1' and s.customer_id is null)
    or customer_id = (select id from gv where name = 'c3');
insert into crm.customer_share (tenant_id, customer_id, shared_with)
values ('00000000-0000-0000-0000-0000000043c1', null, '00000000-0000-0000-0000-0000000043a1');
select is(pg_temp.diffs(r.role, r.unit::uuid), 'view 0, whole 0, first page 0, after the first 0, from a guest in three units 0',
          format('after the changes, %s of %s: the same rows as the definition before', r.role, coalesce(r.unit, 'every unit')))
  from (values ('crm_unit', '00000000-0000-0000-0000-0000000043a1'), ('crm_unit', '00000000-0000-0000-0000-0000000043b1'),
               ('crm_reporter', null)) r(role, unit);
select is(pg_temp.shape('crm_unit', '00000000-0000-0000-0000-0000000043b1'), '9 rows, 7 in groups of several units',
          'after the changes B sees A''s customers once and not c3');

select * from finish();
rollback;
