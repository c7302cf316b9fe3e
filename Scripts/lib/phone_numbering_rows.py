"""Prints the rows of crm.phone_numbering (SQL/migrations/0042_phone_numbering.sql) from the
metadata of the Python `phonenumbers` package (Google's libphonenumber). Run by hand when the
set of countries or the metadata version changes; its output is pasted into a new migration:

    source Scripts/lib/phone_oracle.sh && phone_oracle_venv && "$PHONE_ORACLE_PYTHON" Scripts/lib/phone_numbering_rows.py

The countries are the calling codes in COUNTRY_CODES; each row holds the rules of the code's main
region (NANP: US; +7: RU; +44: GB; ...), which the other regions sharing the code also follow for
the parts used here (prefixes, lengths, the pattern of a national number)."""
import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata

# The countries of the issue (1, 7, 30-49, 44, 33, 39, 34, 31, 41, 43, 45-48, 61, 81, 86, 91, 55,
# 52) and a few more that European and overseas units meet often.
COUNTRY_CODES = [
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 54, 55,
    56, 57, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 351, 352, 353, 354, 356, 357,
    358, 359, 370, 371, 372, 380, 385, 386, 420, 421, 852, 966, 971, 972,
]


def lit(s):
    return "null" if s is None or s == "" else "'" + s.replace("'", "''") + "'"


def main():
    rows = []
    for cc in COUNTRY_CODES:
        region = phonenumbers.region_code_for_country_code(cc)
        m = PhoneMetadata.metadata_for_region(region)
        lengths = ",".join(str(n) for n in m.general_desc.possible_length)
        rows.append("    ('%d', '%s', %s, %s, %s, %s, '{%s}', %s)" % (
            cc, region, lit(m.national_prefix), lit(m.national_prefix_for_parsing),
            lit(m.national_prefix_transform_rule), lit(m.international_prefix), lengths,
            lit(m.general_desc.national_number_pattern)))
    print("-- phonenumbers %s" % phonenumbers.__version__)
    print(",\n".join(rows) + ";")


if __name__ == "__main__":
    main()
