-- report.customer_value read from a kept summary (issue "Rollups for what still reads every line":
-- at 1,000,000 customers the report took 16-23 s whole: per customer a count of its contacts by
-- channel over 2M contacts, the mean of its survey scores, its tier by key, and a group-by of the
-- monthly rollup for the 12-month margin).
--   crm.customer_value_summary: one row per customer with what the report cannot read from the
--     customer's own row:
--     * kept exact by the writes (SQL/repeatable/38_customer_value_summary.sql): the sum and number
--       of its survey scores (statement triggers on crm.survey_response) and its tier of tier_year
--       as crm.customer_tier_snapshot holds it (statement triggers on the snapshot);
--     * its contacts per channel and the three channels of most contacts, as of the last fold:
--       contacts logged since are delta rows (below) that the report adds;
--     * refreshed by the scheduled job (crm.refresh_customer_value, from crm.compact_sales_rollups):
--       the revenue and gross margin of the 12 months from months_from on; the report reads them while
--       months_from is the window's first month, and reads the rollup otherwise (a customer the job
--       has not seen yet, or the first hour of a month).
--   crm.customer_channel_delta: the contacts per customer and channel that each statement adding
--     contacts adds (the contacts trigger, SQL/repeatable/23_channel_months.sql: an append, no
--     random row to rewrite on interactions.log), folded into the summary by the scheduled job.
--   crm.customer_value_refresh: per unit, when the job last refreshed those figures (the report's
--     figures_as_of).
set local role crm_owner;

create table crm.customer_value_summary (
    tenant_id          uuid    not null,
    customer_id        bigint  not null,
    score_sum          bigint  not null default 0,
    score_count        int     not null default 0,
    channel_contacts   jsonb   not null default '{}',
    preferred_channels text[],
    tier_year          int,
    tier               text,
    months_from        date,
    revenue_12m        numeric,
    gross_margin_12m   numeric,
    primary key (tenant_id, customer_id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
comment on table crm.customer_value_summary is 'Per customer, what report.customer_value reads besides the customer''s row and its RFM summary: survey score sum and count, contacts per channel and the preferred channels, the tier of tier_year (kept by triggers), the 12-month revenue and gross margin from months_from on (refreshed by crm.refresh_customer_value, the scheduled job).';
comment on column crm.customer_value_summary.channel_contacts is 'The customer''s contacts per channel, as {"channel": count}.';
comment on column crm.customer_value_summary.preferred_channels is 'The (up to) three channels of most contacts, most first, then by name; null without contacts.';
comment on column crm.customer_value_summary.tier_year is 'The year whose tier (crm.customer_tier_snapshot) tier holds (null: none read yet).';
comment on column crm.customer_value_summary.months_from is 'The first month of the 12 months revenue_12m and gross_margin_12m sum (null: not computed yet).';

-- (no index but the key: appended by every contact, read whole by the report and by the fold,
-- which empties it)
create sequence crm.customer_channel_delta_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.customer_channel_delta (
    tenant_id   uuid   not null,
    id          bigint not null default crm.opaque_id(nextval('crm.customer_channel_delta_id_seq')),
    customer_id bigint not null,
    channel     text   not null,
    contacts    int    not null,
    primary key (tenant_id, id)
);
alter sequence crm.customer_channel_delta_id_seq owned by crm.customer_channel_delta.id;
comment on table crm.customer_channel_delta is 'Contacts per customer and channel added since the last fold into crm.customer_value_summary.channel_contacts (delta rows: sum them); appended by the contacts trigger, folded by crm.refresh_customer_value, read by report.customer_value.';

create table crm.customer_value_refresh (
    tenant_id    uuid        not null primary key references crm.tenant (id),
    months_from  date        not null,
    tier_year    int         not null,
    refreshed_at timestamptz not null default now()
);
comment on table crm.customer_value_refresh is 'Per unit, the last refresh of crm.customer_value_summary''s 12-month figures by crm.refresh_customer_value: the window''s first month, the tier year and when.';

grant select, insert, update on crm.customer_value_summary, crm.customer_value_refresh to crm_unit;
grant select, insert, delete on crm.customer_channel_delta to crm_unit;
grant usage on sequence crm.customer_channel_delta_id_seq to crm_unit;
grant select on crm.customer_value_summary, crm.customer_channel_delta, crm.customer_value_refresh to crm_reporter;
select crm.add_unit_policies('crm.customer_value_summary', 'customer value summary', true);
select crm.add_unit_policies('crm.customer_channel_delta', 'channel deltas');
create policy "unit users fold their own channel deltas" on crm.customer_channel_delta for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
select crm.add_unit_policies('crm.customer_value_refresh', 'customer value refresh', true);
-- A unit reads the figures of customers shared with it, as it reads their rollups (0049).
create policy "unit users see the customer value of customers shared with them" on crm.customer_value_summary
    for select to crm_unit, crm_viewer
    using ((tenant_id = any (array(select s.tenant_id from crm.shares_received s where s.customer_id is null)))
           or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.shares_received s
                                            where s.customer_id is not null));
create policy "unit users see the channel deltas of customers shared with them" on crm.customer_channel_delta
    for select to crm_unit, crm_viewer
    using ((tenant_id = any (array(select s.tenant_id from crm.shares_received s where s.customer_id is null)))
           or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.shares_received s
                                            where s.customer_id is not null));
create policy "unit users see the customer value refresh of units sharing with them" on crm.customer_value_refresh
    for select to crm_unit, crm_viewer
    using (tenant_id in (select s.tenant_id from crm.shares_received s));

-- Existing customers, with the force lifted for this transaction (no policy is crm_owner's). The
-- rules are those of SQL/repeatable/38_customer_value_summary.sql (applied after the migrations),
-- spelled out here once for the fill.
alter table crm.customer no force row level security;
alter table crm.survey_response no force row level security;
alter table crm.interaction no force row level security;
alter table crm.customer_tier_snapshot no force row level security;
alter table crm.customer_month_summary no force row level security;
alter table crm.customer_value_summary no force row level security;
alter table crm.customer_value_refresh no force row level security;
insert into crm.customer_value_summary (tenant_id, customer_id, score_sum, score_count, channel_contacts, preferred_channels,
                                        tier_year, tier, months_from, revenue_12m, gross_margin_12m)
select c.tenant_id, c.id, coalesce(sv.score_sum, 0), coalesce(sv.score_count, 0), coalesce(ch.counts, '{}'), ch.preferred,
       extract(year from now())::int, ts.tier, date_trunc('month', now() - interval '11 months')::date,
       coalesce(m.revenue, 0), coalesce(m.gross_margin, 0)
  from crm.customer c
  left join (select s.tenant_id, s.customer_id, sum(s.score) as score_sum, count(*)::int as score_count
               from crm.survey_response s group by 1, 2) sv on sv.tenant_id = c.tenant_id and sv.customer_id = c.id
  left join (select n.tenant_id, n.customer_id, jsonb_object_agg(n.channel, n.contacts) as counts,
                    (array_agg(n.channel order by n.contacts desc, n.channel))[1:3] as preferred
               from (select i.tenant_id, i.customer_id, i.channel, count(*)::int as contacts from crm.interaction i group by 1, 2, 3) n
              group by 1, 2) ch on ch.tenant_id = c.tenant_id and ch.customer_id = c.id
  left join crm.customer_tier_snapshot ts on ts.tenant_id = c.tenant_id and ts.customer_id = c.id
                                         and ts.year = extract(year from now())::int
  left join (select s.tenant_id, s.customer_id, sum(s.revenue) as revenue, sum(s.revenue - s.cost) as gross_margin
               from crm.customer_month_summary s where s.month >= date_trunc('month', now() - interval '11 months')
              group by 1, 2) m on m.tenant_id = c.tenant_id and m.customer_id = c.id;
insert into crm.customer_value_refresh (tenant_id, months_from, tier_year)
select t.id, date_trunc('month', now() - interval '11 months')::date, extract(year from now())::int from crm.tenant t;
alter table crm.customer force row level security;
alter table crm.survey_response force row level security;
alter table crm.interaction force row level security;
alter table crm.customer_tier_snapshot force row level security;
alter table crm.customer_month_summary force row level security;
alter table crm.customer_value_summary force row level security;
alter table crm.customer_value_refresh force row level security;
