-- The partner scorecard: deals, credited sales and lead handling per partner and month. Security
-- invoker: a unit sees all its partners, a partner only itself (its own deals, offers and the
-- sales credited to it), by the policies of the tables underneath.
--
-- Partners read no cost or margin (revenue less margin over units would give them the unit cost
-- the catalog hides; crm_partner may not read crm.sales_day_summary.cost, and a view that names
-- it fails for the partner whatever column the query selects): report.partner_own_scorecard is
-- the scorecard without them, and the units' report.partner_scorecard adds the margin to it.
set local role crm_owner;

create or replace view report.partner_own_scorecard with (security_invoker = true) as
with deals as (
    select d.tenant_id, d.partner_id, date_trunc('month', d.registered_at at time zone 'UTC')::date as month,
           count(*) as registered,
           count(*) filter (where d.in_conflict) as conflicting,
           count(*) filter (where d.status in ('approved', 'won')) as approved,
           count(*) filter (where d.status = 'won') as won
      from crm.deal d group by 1, 2, 3),
sales as (
    select s.tenant_id, s.partner_id, date_trunc('month', s.day)::date as month,
           sum(s.orders) as orders, sum(s.units) as units, sum(s.revenue) as revenue
      from crm.sales_day_summary s where s.partner_id is not null group by 1, 2, 3),
offers as (
    select o.tenant_id, o.partner_id, date_trunc('month', o.offered_at at time zone 'UTC')::date as month,
           count(*) as offered,
           count(*) filter (where o.response = 'accepted') as accepted,
           count(*) filter (where o.response = 'declined') as declined,
           count(*) filter (where o.response = 'expired') as expired,
           avg(extract(epoch from o.responded_at - o.offered_at) / 3600) filter (where o.response = 'accepted') as hours_to_accept
      from crm.lead_offer o group by 1, 2, 3),
keys as (
    select tenant_id, partner_id, month from deals union select tenant_id, partner_id, month from sales
    union select tenant_id, partner_id, month from offers)
select t.slug as tenant,
       pa.slug as partner,
       k.month,
       coalesce(d.registered, 0) as deals_registered,
       coalesce(d.conflicting, 0) as deals_conflicting,
       coalesce(d.approved, 0) as deals_approved,
       coalesce(d.won, 0) as deals_won,
       coalesce(s.orders, 0) as orders_credited,
       coalesce(s.units, 0)::numeric(16,3) as units_credited,
       coalesce(s.revenue, 0)::numeric(16,2) as revenue_credited,
       round(coalesce(s.revenue, 0) * coalesce(g.commission_pct, 0) / 100, 2)::numeric(16,2) as commission_credited,
       coalesce(o.offered, 0) as leads_offered,
       coalesce(o.accepted, 0) as leads_accepted,
       coalesce(o.declined, 0) as leads_declined,
       coalesce(o.expired, 0) as leads_expired,
       case when o.offered > 0 then round(o.accepted::numeric / o.offered, 4) end as lead_acceptance_rate,
       round(o.hours_to_accept, 2) as average_hours_to_accept
  from keys k
  join crm.tenant t on t.id = k.tenant_id
  join crm.partner pa on pa.id = k.partner_id
  left join deals d on d.tenant_id = k.tenant_id and d.partner_id = k.partner_id and d.month = k.month
  left join sales s on s.tenant_id = k.tenant_id and s.partner_id = k.partner_id and s.month = k.month
  left join offers o on o.tenant_id = k.tenant_id and o.partner_id = k.partner_id and o.month = k.month
  left join crm.partner_grant g on g.tenant_id = k.tenant_id and g.partner_id = k.partner_id;

comment on view report.partner_own_scorecard is 'What a partner sees of its scorecard, per unit that grants it and month: deals registered, in conflict, approved and won; orders, units, revenue and commission credited to it (no cost, no margin); leads offered, accepted, declined and expired, the acceptance rate and the average hours to accept.';
comment on column report.partner_own_scorecard.tenant is 'The business unit (slug).';
comment on column report.partner_own_scorecard.partner is 'The partner (slug).';
comment on column report.partner_own_scorecard.month is 'First day of the month (UTC): of the registration, the sale or the offer.';
comment on column report.partner_own_scorecard.deals_registered is 'Deals the partner registered.';
comment on column report.partner_own_scorecard.deals_conflicting is 'Of those, flagged as conflicting with another partner''s registration.';
comment on column report.partner_own_scorecard.deals_approved is 'Deals approved by the unit (won ones included).';
comment on column report.partner_own_scorecard.deals_won is 'Deals whose quote the customer accepted.';
comment on column report.partner_own_scorecard.orders_credited is 'Sales orders credited to the partner.';
comment on column report.partner_own_scorecard.units_credited is 'Units sold in those orders.';
comment on column report.partner_own_scorecard.revenue_credited is 'Their revenue.';
comment on column report.partner_own_scorecard.commission_credited is 'The partner''s commission on that revenue, at the rate of its grant (crm.partner_grant.commission_pct).';
comment on column report.partner_own_scorecard.leads_offered is 'Leads offered to the partner.';
comment on column report.partner_own_scorecard.leads_accepted is 'Offers accepted.';
comment on column report.partner_own_scorecard.leads_declined is 'Offers declined.';
comment on column report.partner_own_scorecard.leads_expired is 'Offers left unanswered past their time.';
comment on column report.partner_own_scorecard.lead_acceptance_rate is 'Accepted divided by offered.';
comment on column report.partner_own_scorecard.average_hours_to_accept is 'Average hours from offer to acceptance.';

grant select on report.partner_own_scorecard to crm_partner, crm_unit, crm_reporter;

create or replace view report.partner_scorecard with (security_invoker = true) as
select c.*, coalesce(m.gross_margin, 0)::numeric(16,2) as gross_margin_credited
  from report.partner_own_scorecard c
  join crm.tenant t on t.slug = c.tenant
  join crm.partner pa on pa.slug = c.partner
  left join (select s.tenant_id, s.partner_id, date_trunc('month', s.day)::date as month, sum(s.revenue - s.cost) as gross_margin
               from crm.sales_day_summary s where s.partner_id is not null group by 1, 2, 3) m
         on m.tenant_id = t.id and m.partner_id = pa.id and m.month = c.month;

comment on view report.partner_scorecard is 'The units'' partner scorecard: report.partner_own_scorecard (deals, orders, units, revenue and commission credited, lead handling, per unit, partner and month) and the gross margin of the sales credited to the partner. A unit sees all its partners; partners read report.partner_own_scorecard.';
comment on column report.partner_scorecard.tenant is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.partner is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.month is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.deals_registered is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.deals_conflicting is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.deals_approved is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.deals_won is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.orders_credited is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.units_credited is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.revenue_credited is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.commission_credited is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.leads_offered is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.leads_accepted is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.leads_declined is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.leads_expired is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.lead_acceptance_rate is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.average_hours_to_accept is 'As in report.partner_own_scorecard.';
comment on column report.partner_scorecard.gross_margin_credited is 'The gross margin of the sales credited to the partner, for the unit.';

grant select on report.partner_scorecard to crm_unit, crm_reporter;
revoke select on report.partner_scorecard from crm_partner;
