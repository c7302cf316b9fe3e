-- Contacts, the call centre, satisfaction, the lifecycle and the one-row customer value report.
set local role crm_owner;

-- Read from the unit's channel summary (crm.channel_month_summary, 0054: delta rows kept by
-- crm.refresh_channel_months, 23_channel_months.sql): a few rows per channel and month instead of
-- every contact and a look-up of the last contact before every sale (over 60 s at 1M customers).
create or replace view report.channel_effectiveness with (security_invoker = true) as
with s as (
    select s.tenant_id, s.channel, s.month, sum(s.contacts) as contacts, sum(s.cost) as cost,
           sum(s.customers_reached) as customers_reached, sum(s.conversions) as conversions, sum(s.gross_margin) as gross_margin
      from crm.channel_month_summary s group by 1, 2, 3)
select t.slug as tenant, s.channel, s.month, s.contacts::bigint as contacts, s.customers_reached::bigint as customers_reached,
       s.cost::numeric(14,2) as cost,
       round(s.cost / nullif(s.contacts, 0), 2) as cost_per_contact,
       s.conversions::bigint as conversions,
       s.gross_margin::numeric(16,2) as gross_margin,
       round(s.conversions::numeric / nullif(s.contacts, 0), 4) as conversion_rate
  from s join crm.tenant t on t.id = s.tenant_id
 where s.contacts > 0;

comment on view report.channel_effectiveness is 'Per channel and month: contacts, customers reached, cost and cost per contact, and the sales (and their gross margin) whose last contact in the 30 days before came through the channel. Read from the kept summary crm.channel_month_summary (exact after every write: crm.refresh_channel_months).';
comment on column report.channel_effectiveness.tenant is 'The business unit (slug).';
comment on column report.channel_effectiveness.channel is 'phone, email, web, store, call_centre, mail, partner or visit.';
comment on column report.channel_effectiveness.month is 'First day of the month (UTC).';
comment on column report.channel_effectiveness.contacts is 'Contacts through the channel.';
comment on column report.channel_effectiveness.customers_reached is 'Distinct customers contacted.';
comment on column report.channel_effectiveness.cost is 'Sum of the contacts'' cost.';
comment on column report.channel_effectiveness.cost_per_contact is 'Cost divided by contacts.';
comment on column report.channel_effectiveness.conversions is 'Sales whose last contact within 30 days came through the channel.';
comment on column report.channel_effectiveness.gross_margin is 'Gross margin of those sales.';
comment on column report.channel_effectiveness.conversion_rate is 'Conversions divided by contacts.';

create or replace view report.call_centre_daily with (security_invoker = true) as
select t.slug as tenant,
       (c.started_at at time zone 'UTC')::date as day,
       c.answered_by as agent_id,
       count(*) as calls,
       count(*) filter (where not c.abandoned) as answered,
       count(*) filter (where c.abandoned) as abandoned,
       round(avg(c.wait_seconds), 1) as average_wait_seconds,
       max(c.wait_seconds) as longest_wait_seconds,
       count(*) filter (where c.reason = 'question') as questions,
       count(*) filter (where c.reason = 'complaint') as complaints,
       count(*) filter (where c.reason = 'quality') as quality,
       count(*) filter (where c.reason = 'replacement') as replacements,
       count(*) filter (where c.reason = 'refund') as refunds
  from crm.call_record c join crm.tenant t on t.id = c.tenant_id
 group by t.slug, (c.started_at at time zone 'UTC')::date, c.answered_by;

comment on view report.call_centre_daily is 'Inbound calls per day and agent: answered, abandoned, waiting times, and calls per reason (replacements and refunds included).';
comment on column report.call_centre_daily.tenant is 'The business unit (slug).';
comment on column report.call_centre_daily.day is 'The day (UTC).';
comment on column report.call_centre_daily.agent_id is 'The staff member who answered (null: nobody, e.g. abandoned).';
comment on column report.call_centre_daily.calls is 'Calls.';
comment on column report.call_centre_daily.answered is 'Calls not abandoned.';
comment on column report.call_centre_daily.abandoned is 'Calls the caller gave up on.';
comment on column report.call_centre_daily.average_wait_seconds is 'Mean wait before answer or hang-up.';
comment on column report.call_centre_daily.longest_wait_seconds is 'Longest wait.';
comment on column report.call_centre_daily.questions is 'Calls with a question.';
comment on column report.call_centre_daily.complaints is 'Complaints.';
comment on column report.call_centre_daily.quality is 'Quality problems.';
comment on column report.call_centre_daily.replacements is 'Replacement requests.';
comment on column report.call_centre_daily.refunds is 'Refund requests.';

create or replace view report.satisfaction with (security_invoker = true) as
select t.slug as tenant,
       s.product_id,
       s.service,
       date_trunc('month', s.responded_at at time zone 'UTC')::date as month,
       count(*) as responses,
       round(avg(s.score), 2) as average_score,
       round(100.0 * (count(*) filter (where s.score >= 9) - count(*) filter (where s.score <= 6)) / count(*), 1) as nps,
       round(avg(case when s.would_recommend then 1.0 when not s.would_recommend then 0.0 end), 4) as would_recommend_rate
  from crm.survey_response s join crm.tenant t on t.id = s.tenant_id
 group by t.slug, s.product_id, s.service, date_trunc('month', s.responded_at at time zone 'UTC');

comment on view report.satisfaction is 'Average score and Net Promoter Score per product (or service) and month: NPS = % promoters (9-10) - % detractors (0-6).';
comment on column report.satisfaction.tenant is 'The business unit (slug).';
comment on column report.satisfaction.product_id is 'The product rated (null for a service).';
comment on column report.satisfaction.service is 'The service rated (null for a product).';
comment on column report.satisfaction.month is 'First day of the month (UTC).';
comment on column report.satisfaction.responses is 'Survey answers.';
comment on column report.satisfaction.average_score is 'Mean score, 0-10.';
comment on column report.satisfaction.nps is 'Percent promoters minus percent detractors.';
comment on column report.satisfaction.would_recommend_rate is 'Share of answers that would recommend.';

-- The customers per stage from the kept summary crm.customer_stage_summary (0058,
-- 20_customer_stage_summary.sql): a few delta rows per stage instead of every customer (~0.4 s at
-- 1M), then set against the six stages.
create or replace view report.lifecycle_funnel with (security_invoker = true) as
select t.slug as tenant, s.stage, s.position,
       coalesce(n.customers, 0) as customers,
       round(coalesce(n.customers, 0)::numeric / nullif(sum(n.customers) over (partition by t.slug), 0), 4) as share
  from crm.tenant t
  cross join (values ('prospect', 1), ('acquired', 2), ('active', 3), ('retained', 4), ('loyal', 5), ('lapsed', 6)) as s(stage, position)
  left join (select k.tenant_id, k.lifecycle_stage, sum(k.customers)::bigint as customers from crm.customer_stage_summary k
              group by 1, 2 having sum(k.customers) <> 0) n on n.tenant_id = t.id and n.lifecycle_stage = s.stage;

comment on view report.lifecycle_funnel is 'Customers per lifecycle stage (prospect, acquired, active, retained, loyal, lapsed) and their share.';
comment on column report.lifecycle_funnel.tenant is 'The business unit (slug).';
comment on column report.lifecycle_funnel.stage is 'The lifecycle stage.';
comment on column report.lifecycle_funnel.position is 'The stage''s place in the funnel (1 = prospect).';
comment on column report.lifecycle_funnel.customers is 'Customers in the stage.';
comment on column report.lifecycle_funnel.share is 'Customers in the stage divided by all the unit''s customers.';

-- From the kept summary crm.customer_stage_summary (0058): the customers per capture phase.
create or replace view report.data_capture with (security_invoker = true) as
with p as (
    select k.tenant_id, k.capture_phase, sum(k.customers) as customers from crm.customer_stage_summary k
     group by 1, 2 having sum(k.customers) <> 0)
select t.slug as tenant,
       sum(p.customers)::bigint as customers,
       round(coalesce(sum(p.customers) filter (where p.capture_phase >= 1), 0) / sum(p.customers), 4) as phase_1_rate,
       round(coalesce(sum(p.customers) filter (where p.capture_phase >= 2), 0) / sum(p.customers), 4) as phase_2_rate,
       round(coalesce(sum(p.customers) filter (where p.capture_phase >= 3), 0) / sum(p.customers), 4) as phase_3_rate
  from p join crm.tenant t on t.id = p.tenant_id
 group by t.slug;

comment on view report.data_capture is 'Data capture rates: phase 1 name and email, phase 2 postal address and phone, phase 3 purchase preferences.';
comment on column report.data_capture.tenant is 'The business unit (slug).';
comment on column report.data_capture.customers is 'Customers (merged duplicates not counted).';
comment on column report.data_capture.phase_1_rate is 'Share with name and email.';
comment on column report.data_capture.phase_2_rate is 'Share with postal address and phone as well.';
comment on column report.data_capture.phase_3_rate is 'Share with purchase preferences as well.';

-- From the customer value summary (0060, 38_customer_value_summary.sql), joined by its key: the
-- survey mean and this year's tier kept by the writes; the preferred channels from the kept
-- contact counts and the contacts logged since the job last folded them; the 12-month
-- revenue and margin as the scheduled job last computed them (figures_as_of), or from the monthly
-- rollup for a customer whose row is not of the current window (the job has not seen it yet: a new
-- customer, the first hour of a month). The consented channels from the customer's row, once per
-- distinct consent (a lateral subquery the planner memoizes: a few distinct values among 1M). The
-- current window and year are each computed once (sub-selects: init plans), not once a row.
create or replace view report.customer_value with (security_invoker = true) as
select t.slug as tenant,
       c.id as customer_id,
       c.name,
       c.emails,
       c.phones,
       c.segment,
       c.lifecycle_stage,
       case when v.months_from = (select date_trunc('month', now() - interval '11 months')::date) then v.gross_margin_12m
            else coalesce((select sum(s.revenue - s.cost) from crm.customer_month_summary s
                            where s.tenant_id = c.tenant_id and s.customer_id = c.id
                              and s.month >= date_trunc('month', now() - interval '11 months')), 0) end as gross_margin_12m,
       case when v.months_from = (select date_trunc('month', now() - interval '11 months')::date) then v.revenue_12m
            else coalesce((select sum(s.revenue) from crm.customer_month_summary s
                            where s.tenant_id = c.tenant_id and s.customer_id = c.id
                              and s.month >= date_trunc('month', now() - interval '11 months')), 0) end as revenue_12m,
       -- (report.customer_tier's tier: kept from its snapshot; read from it by key when the row is of another year)
       case when v.tier_year = (select extract(year from now())::int) then v.tier
            else (select r.tier from crm.customer_tier_snapshot r where r.tenant_id = c.tenant_id and r.customer_id = c.id
                   and r.year = extract(year from now())::int) end as tier,
       coalesce(rk.days - 1, ro.frequency) as frequency, coalesce(rk.last_day - rk.first_day, ro.recency) as recency,
       coalesce(current_date - rk.first_day, ro.t) as t,
       case when rk.customer_id is not null then report.rfm_monetary_value(rk.revenue, rk.first_revenue, rk.days)
            else ro.monetary_value end as monetary_value,
       case when v.score_count > 0 then round(v.score_sum::numeric / v.score_count, 2) end as average_score,
       case when d.customer_id is null then v.preferred_channels else d.preferred end as preferred_channels,
       cc.consented_channels,
       case when v.months_from = (select date_trunc('month', now() - interval '11 months')::date) then u.refreshed_at end as figures_as_of
  from crm.customer c
  join crm.tenant t on t.id = c.tenant_id
  left join crm.customer_value_summary v on v.tenant_id = c.tenant_id and v.customer_id = c.id
  left join crm.customer_value_refresh u on u.tenant_id = t.id
  -- The preferred channels of the customers with contacts logged since the last fold: their kept
  -- counts (read by key: OFFSET 0 keeps the probe from becoming a scan of every summary row) and
  -- their deltas, summed per channel and ranked set-wise by crm.preferred_channels' rule (a
  -- function call a customer cost ~50 us: 2.3 s for the 40,000 customers of a few minutes'
  -- contacts, ~0.4 s now).
  left join (select z.tenant_id, z.customer_id,
                    (array_agg(z.channel order by z.contacts desc, z.channel) filter (where z.contacts > 0))[1:3] as preferred
               from (select y.tenant_id, y.customer_id, y.channel, sum(y.contacts) as contacts
                       from (select x.tenant_id, x.customer_id, x.channel, x.contacts from crm.customer_channel_delta x
                             union all
                             select k.tenant_id, k.customer_id, e.key, e.value::int
                               from (select distinct x.tenant_id, x.customer_id from crm.customer_channel_delta x) k
                               cross join lateral (select w.channel_contacts from crm.customer_value_summary w
                                                    where w.tenant_id = k.tenant_id and w.customer_id = k.customer_id offset 0) w
                               cross join jsonb_each_text(w.channel_contacts) e) y
                      group by 1, 2, 3) z
              group by 1, 2) d on d.tenant_id = c.tenant_id and d.customer_id = c.id
  -- report.rfm(current_date, 'day') in its two parts (a customer is in one of them at most): the
  -- kept part (report.rfm_kept's figures) joins the summary by its key, so a page of customers
  -- reads only their rows and a count reads none.
  left join crm.customer_rfm_summary rk on rk.tenant_id = c.tenant_id and rk.customer_id = c.id and rk.last_day <= current_date
  left join report.rfm_from_orders(current_date, 'day') ro on ro.tenant = t.slug and ro.customer_id = c.id
  left join lateral (select array(select e.k from jsonb_each(c.consent) e(k, x) where e.x = 'true'::jsonb order by e.k) as consented_channels
                     offset 0) cc on true
 where c.merged_into is null;

comment on view report.customer_value is 'The customer value evaluation report, one row per customer: profit contribution (12 months), tier, RFM, satisfaction, preferred channels and contact details.';
comment on column report.customer_value.tenant is 'The business unit (slug).';
comment on column report.customer_value.customer_id is 'The customer.';
comment on column report.customer_value.name is 'Name.';
comment on column report.customer_value.emails is 'Email addresses.';
comment on column report.customer_value.phones is 'Phone numbers (E.164).';
comment on column report.customer_value.segment is 'Segment.';
comment on column report.customer_value.lifecycle_stage is 'Lifecycle stage.';
comment on column report.customer_value.gross_margin_12m is 'Gross margin of the last 12 months.';
comment on column report.customer_value.revenue_12m is 'Revenue of the last 12 months.';
comment on column report.customer_value.tier is 'This year''s tier (by last year''s margin).';
comment on column report.customer_value.frequency is 'RFM frequency (repeat purchase days).';
comment on column report.customer_value.recency is 'RFM recency (days first to last purchase).';
comment on column report.customer_value.t is 'RFM T (days since the first purchase).';
comment on column report.customer_value.monetary_value is 'RFM monetary value (mean repeat purchase).';
comment on column report.customer_value.average_score is 'Mean survey score, 0-10.';
comment on column report.customer_value.preferred_channels is 'The channels of most contacts, most used first.';
comment on column report.customer_value.consented_channels is 'Channels the customer accepts.';
comment on column report.customer_value.figures_as_of is 'When the scheduled job computed gross_margin_12m and revenue_12m (crm.refresh_customer_value); null: computed by this read from the monthly rollup.';

grant select on report.channel_effectiveness, report.call_centre_daily, report.satisfaction, report.lifecycle_funnel,
    report.data_capture, report.customer_value to crm_unit, crm_reporter;
