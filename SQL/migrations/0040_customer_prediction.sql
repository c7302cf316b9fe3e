-- Customer-lifetime prediction (issue 19): per unit, the BG/NBD model of repeat purchasing (Fader,
-- Hardie and Lee 2005) and the Gamma-Gamma spend model (Fader and Hardie 2013), fitted by maximum
-- likelihood in the server (Sources/CRMCore/Analytics) to report.rfm as of a date, in days or
-- weeks. One row per unit: the latest fit, refreshed by the scheduled job at most once a day and
-- by reports.refresh_prediction; report.customer_prediction scores customers with it.
-- A unit with too little history to fit keeps a row too, with the parameters null and a note
-- saying why, so the job does not retry it before the next day and the report can say why.
set local role crm_owner;

create table crm.customer_prediction_model (
    tenant_id        uuid             not null references crm.tenant (id),
    period           text             not null check (period in ('day', 'week')),
    as_of            date             not null,
    fitted_at        timestamptz      not null default now(),
    customers        int              not null check (customers >= 0),
    repeat_customers int              not null check (repeat_customers >= 0),
    r                double precision check (r > 0),
    alpha            double precision check (alpha > 0),
    a                double precision check (a > 0),
    b                double precision check (b > 0),
    log_likelihood   double precision,
    p                double precision check (p > 0),
    q                double precision check (q > 0),
    v                double precision check (v > 0),
    note             text,
    primary key (tenant_id),
    check (r is not null or note is not null),
    check ((r is null) = (alpha is null) and (r is null) = (a is null) and (r is null) = (b is null)
           and (r is null) = (log_likelihood is null)),
    check ((p is null) = (q is null) and (p is null) = (v is null) and (p is null or r is not null))
);

alter table crm.customer_prediction_model enable row level security;
alter table crm.customer_prediction_model force row level security;

grant select, insert, update on crm.customer_prediction_model to crm_unit;
grant select on crm.customer_prediction_model to crm_reporter;

create policy "unit users see their own prediction model" on crm.customer_prediction_model for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users fit their own prediction model" on crm.customer_prediction_model for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users refit their own prediction model" on crm.customer_prediction_model for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's prediction model, or the unit they chose" on crm.customer_prediction_model
    for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));

comment on table crm.customer_prediction_model is 'Each unit''s latest BG/NBD and Gamma-Gamma fit to report.rfm(as_of, period); written by crm.save_customer_prediction_model (the scheduled job, daily, and reports.refresh_prediction), read by report.customer_prediction.';
comment on column crm.customer_prediction_model.tenant_id is 'The business unit.';
comment on column crm.customer_prediction_model.period is 'The time unit of the fit and of every figure derived from it: day or week.';
comment on column crm.customer_prediction_model.as_of is 'The end of observation: the RFM summary the model was fitted to is report.rfm(as_of, period).';
comment on column crm.customer_prediction_model.fitted_at is 'When the fit ran.';
comment on column crm.customer_prediction_model.customers is 'Customers with a purchase on or before as_of (the BG/NBD sample).';
comment on column crm.customer_prediction_model.repeat_customers is 'Of them, customers with a repeat purchase period (frequency > 0).';
comment on column crm.customer_prediction_model.r is 'BG/NBD: shape of the gamma distribution of purchase rates (null: no fit, see note).';
comment on column crm.customer_prediction_model.alpha is 'BG/NBD: scale of the gamma distribution of purchase rates, in periods.';
comment on column crm.customer_prediction_model.a is 'BG/NBD: first shape of the beta distribution of drop-out probabilities.';
comment on column crm.customer_prediction_model.b is 'BG/NBD: second shape of the beta distribution of drop-out probabilities.';
comment on column crm.customer_prediction_model.log_likelihood is 'BG/NBD: the log-likelihood the fit reached.';
comment on column crm.customer_prediction_model.p is 'Gamma-Gamma: shape of the gamma distribution of a transaction''s value (null: spend not fitted).';
comment on column crm.customer_prediction_model.q is 'Gamma-Gamma: shape of the gamma distribution of the value scale across customers.';
comment on column crm.customer_prediction_model.v is 'Gamma-Gamma: scale (γ) of the gamma distribution of the value scale across customers.';
comment on column crm.customer_prediction_model.note is 'Why a part is missing: no BG/NBD fit (r null) or no spend fit (p null), e.g. too few repeat customers or no proper maximum; null when both are fitted.';
