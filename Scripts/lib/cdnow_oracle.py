"""The lifetimes package's answer for the CDNOW sample, for the customer-prediction tests.

Usage: python cdnow_oracle.py CDNOW_sample.txt AS_OF PERIODS ID...
Reads the transactions (customer id, id, YYYYMMDD, quantity, amount), summarises those made by AS_OF
in weeks (summary_data_from_transaction_data, amounts summed per week), fits BetaGeoFitter and,
on the repeat customers with a positive mean, GammaGammaFitter, and prints one JSON object: the
parameters, the log-likelihood, the customers, and for each ID its frequency, recency, T,
monetary_value, P(alive), expected purchases in the next PERIODS weeks and the expected mean value.
Run with the venv of Scripts/lib/oracle_venv.sh; the tests compare the server's figures with these.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

import pandas as pd  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
from lifetimes.utils import summary_data_from_transaction_data  # noqa: E402


def main(path, as_of, periods, ids):
    tx = pd.read_csv(path, sep=r"\s+", header=None, names=["customer", "id", "date", "quantity", "amount"],
                     dtype={"customer": str, "date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    # lifetimes truncates dates to their week before it drops those after the end of observation,
    # so it counts the rest of AS_OF's week (report.rfm stops at AS_OF): only what happened by then.
    tx = tx[tx["date"] <= pd.Timestamp(as_of)]
    summary = summary_data_from_transaction_data(tx, "customer", "date", monetary_value_col="amount",
                                                 observation_period_end=as_of, freq="W")
    bg = BetaGeoFitter()
    bg.fit(summary["frequency"], summary["recency"], summary["T"])
    spenders = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    gg = GammaGammaFitter()
    gg.fit(spenders["frequency"], spenders["monetary_value"])
    answer = {
        "customers": int(len(summary)),
        "repeat_customers": int((summary["frequency"] > 0).sum()),
        "bgnbd": {k: float(v) for k, v in bg.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in gg.params_.items()},
        "customers_scored": {},
    }
    for cid in ids:
        row = summary.loc[cid]
        x, tx_, t = float(row["frequency"]), float(row["recency"]), float(row["T"])
        answer["customers_scored"][cid] = {
            "frequency": x, "recency": tx_, "t": t, "monetary_value": float(row["monetary_value"]),
            "p_alive": float(bg.conditional_probability_alive(x, tx_, t)),
            "expected_purchases": float(bg.conditional_expected_number_of_purchases_up_to_time(periods, x, tx_, t)),
            "expected_avg_value": float(gg.conditional_expected_average_profit(
                pd.Series([x]), pd.Series([float(row["monetary_value"])])).iloc[0]),
        }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:])
