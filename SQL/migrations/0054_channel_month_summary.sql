-- Channel effectiveness read from kept summaries (issue "[3/7] Hot paths at the limit": at
-- 1,000,000 customers report.channel_effectiveness looked up the last contact before each of 3.4M
-- sales and counted the distinct customers of 2.4M contacts: over 60 s whole, 3 s for one month).
--   crm.customer_channel_month: per customer, channel and month (UTC), its contacts and their cost,
--     and its sales whose last contact in the 30 days before came through the channel (conversions)
--     with their unrounded gross margin. Recomputed for the customers a write touches, from the
--     month of the change on (crm.refresh_channel_months, SQL/repeatable/23_channel_months.sql),
--     so back-dated contacts, cancellations and merges stay exact.
--   crm.channel_month_summary: per unit, channel and month, what those recomputations changed, as
--     delta rows (contacts, cost, customers reached, conversions, gross margin); the report sums
--     them, and the scheduled job folds them into one row per key (crm.compact_sales_rollups).
set local role crm_owner;

create table crm.customer_channel_month (
    tenant_id    uuid          not null,
    customer_id  bigint        not null,
    channel      text          not null,
    month        date          not null,
    contacts     int           not null default 0,
    cost         numeric(14,2) not null default 0,
    conversions  int           not null default 0,
    gross_margin numeric       not null default 0,
    primary key (tenant_id, customer_id, month, channel),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
comment on table crm.customer_channel_month is 'Per customer, channel and month (UTC): contacts and their cost, and the sales whose last contact within 30 days before came through the channel, with their gross margin (unrounded); kept by crm.refresh_channel_months, summed into crm.channel_month_summary.';

create sequence crm.channel_month_summary_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.channel_month_summary (
    tenant_id         uuid    not null,
    id                bigint  not null default crm.opaque_id(nextval('crm.channel_month_summary_id_seq')),
    month             date    not null,
    channel           text    not null,
    contacts          int     not null default 0,
    cost              numeric not null default 0,
    customers_reached int     not null default 0,
    conversions       int     not null default 0,
    gross_margin      numeric not null default 0,
    primary key (tenant_id, id)
);
alter sequence crm.channel_month_summary_id_seq owned by crm.channel_month_summary.id;
create index channel_month_summary_month on crm.channel_month_summary (tenant_id, month, channel);
comment on table crm.channel_month_summary is 'Per unit, channel and month (UTC): contacts, cost, customers reached, conversions and their gross margin as delta rows (sum them), written by crm.refresh_channel_months and folded by crm.compact_sales_rollups; read by report.channel_effectiveness.';

grant select, insert, update, delete on crm.customer_channel_month, crm.channel_month_summary to crm_unit;
grant usage on sequence crm.channel_month_summary_id_seq to crm_unit;
grant select on crm.customer_channel_month, crm.channel_month_summary to crm_reporter;
select crm.add_unit_policies('crm.customer_channel_month', 'channel months', true);
create policy "unit users delete their own channel months" on crm.customer_channel_month for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
select crm.add_unit_policies('crm.channel_month_summary', 'channel summary', true);
create policy "unit users fold their own channel summary" on crm.channel_month_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));

-- Existing contacts and sales, with the force lifted for this transaction (no policy is crm_owner's).
alter table crm.sales_order no force row level security;
alter table crm.order_line no force row level security;
alter table crm.interaction no force row level security;
alter table crm.customer_channel_month no force row level security;
alter table crm.channel_month_summary no force row level security;
insert into crm.customer_channel_month (tenant_id, customer_id, channel, month, contacts, cost, conversions, gross_margin)
select x.tenant_id, x.customer_id, x.channel, x.month, sum(x.contacts), sum(x.cost), sum(x.conversions), sum(x.gross_margin)
  from (select i.tenant_id, i.customer_id, i.channel, date_trunc('month', i.occurred_at at time zone 'UTC')::date as month,
               1 as contacts, i.cost, 0 as conversions, 0 as gross_margin
          from crm.interaction i
        union all
        select o.tenant_id, o.customer_id, last.channel, date_trunc('month', o.ordered_at at time zone 'UTC')::date,
               0, 0, 1, coalesce(l.margin, 0)
          from crm.sales_order o
          join lateral (select sum(ol.quantity * (ol.unit_price - ol.unit_cost)) as margin from crm.order_line ol
                         where ol.tenant_id = o.tenant_id and ol.order_id = o.id) l on true
          join lateral (select i.channel from crm.interaction i
                         where i.tenant_id = o.tenant_id and i.customer_id = o.customer_id
                           and i.occurred_at between o.ordered_at - interval '30 days' and o.ordered_at
                         order by i.occurred_at desc limit 1) last on true
         where o.status in ('confirmed', 'shipped', 'delivered')) x
 group by 1, 2, 3, 4;
insert into crm.channel_month_summary (tenant_id, month, channel, contacts, cost, customers_reached, conversions, gross_margin)
select tenant_id, month, channel, sum(contacts), sum(cost), count(*) filter (where contacts > 0), sum(conversions), sum(gross_margin)
  from crm.customer_channel_month group by 1, 2, 3;
alter table crm.sales_order force row level security;
alter table crm.order_line force row level security;
alter table crm.interaction force row level security;
alter table crm.customer_channel_month force row level security;
alter table crm.channel_month_summary force row level security;
