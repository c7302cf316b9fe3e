-- The closed forms of the customer-lifetime models (issue 19), as functions of the fitted
-- parameters and one customer's RFM summary (frequency x, recency t_x, age T, mean repeat value m),
-- in the time unit of the fit. report.customer_prediction (33) applies them to a unit's customers
-- with the unit's model (crm.customer_prediction_model); the fit itself runs in the server.
-- Conventions as in the `lifetimes` package (BetaGeoFitter, GammaGammaFitter).
set local role crm_owner;

-- Gauss's hypergeometric function 2F1(a, b; c; z) for -1 < z < 1, summed as its power series
-- Σ (a)_n (b)_n / ((c)_n n!) z^n until a term no longer changes the sum in double precision.
-- Far from z = 0 the terms of the plain series behave like n^(a+b-c-1) z^n; Euler's transformation
-- 2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) has terms like n^(c-a-b-1) z^n, so for
-- 0 < z the form with the smaller exponent is summed (the same value, fewer and smaller terms).
-- p_log_scale multiplies the result by exp(p_log_scale) inside the sum: with large parameters the
-- series' terms can exceed double precision although the scaled product (what the BG/NBD formula
-- needs) is small, so the running sum is kept as a mantissa and a log-scale and only the end result
-- is formed (0 when it is below double precision, as exp() of a very negative number is).
drop function if exists report.hyp2f1(double precision, double precision, double precision, double precision);  -- before the scale
create or replace function report.hyp2f1(p_a double precision, p_b double precision, p_c double precision, p_z double precision,
                                         p_log_scale double precision default 0)
    returns double precision language plpgsql immutable strict parallel safe cost 200 as $$
declare
    a double precision := p_a;
    b double precision := p_b;
    log_scale double precision := p_log_scale;
    term double precision := 1;
    total double precision := 1;
    n int := 0;
begin
    if p_z <= -1 or p_z >= 1 then
        raise exception 'hyp2f1: z = % is outside (-1, 1), where the series converges', p_z using errcode = '22003';
    end if;
    if p_c <= 0 and p_c = floor(p_c) then
        raise exception 'hyp2f1: c = % is a non-positive integer', p_c using errcode = '22003';
    end if;
    if p_z > 0 and p_c - p_a - p_b < p_a + p_b - p_c then
        log_scale := log_scale + (p_c - p_a - p_b) * ln(1 - p_z);
        a := p_c - p_a;
        b := p_c - p_b;
    end if;
    while n < 100000 loop
        term := term * ((a + n) * (b + n) / ((p_c + n) * (n + 1))) * p_z;
        total := total + term;
        n := n + 1;
        if abs(term) > 1e200 then   -- rescale: the value is total * exp(log_scale)
            term := term * 1e-200;
            total := total * 1e-200;
            log_scale := log_scale + 460.51701859880914;   -- 200 ln 10
        end if;
        -- Done when a term no longer counts and the next one is smaller still, past the sign change
        -- of c + n. (The ratio of successive terms, (a+n)(b+n)z/((c+n)(n+1)), falls from there on
        -- for the arguments the BG/NBD formula passes, where a may lie far below zero: the terms
        -- then fall steadily long before n reaches -a.)
        exit when abs(term) <= 1e-16 * abs(total) and n + p_c > 0
                  and abs((a + n) * (b + n) * p_z) < abs((p_c + n) * (n + 1));
    end loop;
    if total = 0 then
        return 0;
    end if;
    log_scale := log_scale + ln(abs(total));
    return case when log_scale < -745 then 0 else sign(total) * exp(log_scale) end;
end $$;
comment on function report.hyp2f1(double precision, double precision, double precision, double precision, double precision) is
    'Gauss''s hypergeometric function 2F1(a, b; c; z) for -1 < z < 1 by its power series (Euler''s transformation where it converges faster), times exp(log_scale) (default 0).';

-- BG/NBD, P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)), equation
-- (11) of Fader, Hardie and Lee (2005); computed through the log of the odds (clamped, so that no
-- exp() overflows or underflows, which PostgreSQL reports as errors). greatest(x, 1) keeps the
-- unused branch of x = 0 away from ln() of a non-positive number when constants are folded.
create or replace function report.bgnbd_p_alive(p_r double precision, p_alpha double precision, p_a double precision,
                                                p_b double precision, p_x double precision, p_tx double precision, p_t double precision)
    returns double precision language sql immutable parallel safe as $$
    select case when p_x = 0 then 1.0::double precision
                else 1 / (1 + exp(least(700, greatest(-700,
                          ln(p_a) - ln(p_b + greatest(p_x, 1) - 1)
                          + (p_r + p_x) * (ln(p_alpha + p_t) - ln(p_alpha + greatest(p_tx, 0)))))))
           end
$$;
comment on function report.bgnbd_p_alive(double precision, double precision, double precision, double precision, double precision, double precision, double precision) is
    'BG/NBD probability that a customer with frequency x, recency t_x and age T is alive: bgnbd_p_alive(r, alpha, a, b, x, t_x, T).';

-- BG/NBD, expected purchases in the next t periods, equation (10):
--   E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z)]
--                         / (1 + δ(x>0) · a/(b+x-1) · ((α+T)/(α+t_x))^(r+x)),      z = t/(α+T+t).
-- The denominator's reciprocal is P(alive). With Euler's transformation (1-z = (α+T)/(α+T+t)),
--   ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) · 2F1(a+b-1-r, a-1; a+b+x-1; z),
-- the same number without the large factors of the left side (the power grows with x); the power
-- is passed to hyp2f1 as its log-scale, so that neither factor alone has to fit in a double.
create or replace function report.bgnbd_expected_purchases(p_r double precision, p_alpha double precision, p_a double precision,
                                                           p_b double precision, p_x double precision, p_tx double precision,
                                                           p_t double precision, p_horizon double precision)
    returns double precision language sql immutable parallel safe as $$
    select case when p_horizon = 0 then 0.0::double precision
                else (p_a + p_b + p_x - 1) / (p_a - 1)
                     * (1 - report.hyp2f1(p_a + p_b - 1 - p_r, p_a - 1, p_a + p_b + p_x - 1, p_horizon / (p_alpha + p_t + p_horizon),
                                          (p_a - 1) * ln((p_alpha + p_t) / (p_alpha + p_t + p_horizon))))
                     * report.bgnbd_p_alive(p_r, p_alpha, p_a, p_b, p_x, p_tx, p_t)
           end
$$;
comment on function report.bgnbd_expected_purchases(double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision) is
    'BG/NBD expected repeat purchase periods in the next horizon periods of a customer with frequency x, recency t_x and age T: bgnbd_expected_purchases(r, alpha, a, b, x, t_x, T, horizon).';

-- Gamma-Gamma, the expected mean value of a customer's transactions given x repeat periods of mean
-- value m, equation (5) of Fader and Hardie (2013): E[Z | x, m] = p (γ + x m) / (p x + q - 1), a
-- weighted mean of the population mean p γ / (q - 1) and m (for x = 0 the population mean).
-- Defined for q > 1 only; null otherwise.
create or replace function report.gamma_gamma_expected_value(p_p double precision, p_q double precision, p_v double precision,
                                                             p_x double precision, p_m double precision)
    returns double precision language sql immutable parallel safe as $$
    select case when p_q > 1 then p_p * (p_v + p_x * p_m) / (p_p * p_x + p_q - 1) end
$$;
comment on function report.gamma_gamma_expected_value(double precision, double precision, double precision, double precision, double precision) is
    'Gamma-Gamma conditional expected mean transaction value of a customer with x repeat periods of mean value m: gamma_gamma_expected_value(p, q, v, x, m); null unless q > 1.';

grant execute on function
    report.hyp2f1(double precision, double precision, double precision, double precision, double precision),
    report.bgnbd_p_alive(double precision, double precision, double precision, double precision, double precision, double precision, double precision),
    report.bgnbd_expected_purchases(double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision),
    report.gamma_gamma_expected_value(double precision, double precision, double precision, double precision, double precision)
    to crm_unit, crm_viewer, crm_reporter;
