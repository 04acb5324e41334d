"""Synthetic newsletters for the importer tests (our own words, fictional people)."""
from __future__ import annotations

from html import escape

EXPERTS = [
    ("Water talks need a drought clause", "Nadia Karam", "Senior Fellow",
     "Levant Policy Institute"),
    ("", "Paolo Rinaldi", "Head of Research, Energy Desk; Visiting Fellow",
     "Centre for Euro-Mediterranean Studies (CEMS), Rome"),
    ("أمن المياه يبدأ من البيانات", "سلمى العطار", "باحثة أولى", "مركز دراسات الخليج"),
    ("Europe's leverage is smaller than it thinks", "Élodie Ouédraogo",
     "Associate Professor, Department of Politics & International Relations",
     "Université Libre de Bruxelles"),
]


def quote_for(index: int, headline: str) -> str:
    if any("\u0600" <= ch <= "\u06ff" for ch in headline):
        return ("«لا يمكن لأي اتفاق أن يصمد من دون أرقام مشتركة عن تدفق النهر ومستوى الخزان. "
                "على الحكومات أن تنشر البيانات يومياً وأن تقبل برقابة مستقلة.»")
    return (f"“Expert {index} argues that the negotiations have reached a turning point. "
            "Without shared data on flows and reservoir levels, every dry season will bring "
            "a new crisis, and every crisis will harden the positions of all sides. "
            "The parties should agree on a monitoring mechanism before the next drought.”")


def newsletter_parts(experts=EXPERTS, extra: int = 0):
    people = list(experts) + [(f"Headline number {n}", f"Expert Person{n}", f"Role {n}",
                               f"Institute {n}") for n in range(extra)]
    return {
        "publisher": "Harbour Institute Weekly Wire",
        "series": "Weekly Wire",
        "title": "Rivers, Dams and Diplomacy",
        "lede": ["This week we look at how water disputes are moving up the agenda of "
                 "governments across the region, as droughts grow longer and dams larger.",
                 "Negotiators meet again next month; the stakes have rarely been higher."],
        "intro": "Experts from our network react to the latest round of talks.",
        "experts": people,
        "cta": ["Stay in touch", "Subscribe to the Weekly Wire: https://example.org/wire"],
    }


def newsletter_text(parts=None, *, crlf=False, nbsp=False, straight=False,
                    trailing_blank=True) -> str:
    parts = parts or newsletter_parts()
    blocks = [parts["publisher"], f"{parts['series']} | {parts['title']}", *parts["lede"],
              parts["intro"]]
    for index, (headline, name, role, org) in enumerate(parts["experts"]):
        if headline:
            blocks.append(headline)
        quote = quote_for(index, headline)
        if straight:
            quote = quote.replace("“", '"').replace("”", '"')
        # Hard-wrapped, as newsletters pasted from email are.
        cut = quote.index(" ", 70)
        blocks.append(quote[:cut] + "\n" + quote[cut + 1:])
        sep = ",\u00a0" if nbsp else ", "
        blocks.append(sep.join(x for x in (name, role, org) if x))
        blocks.append("")
    blocks += parts["cta"]
    text = "\n\n".join(blocks) + ("\n\n\n\n" if trailing_blank else "\n")
    return text.replace("\n", "\r\n") if crlf else text


def newsletter_html(parts=None) -> str:
    parts = parts or newsletter_parts()
    out = ["<!DOCTYPE html><html><head><title>Weekly Wire</title>",
           "<style>p { color: red }</style><script>document.write('tracking')</script>",
           "</head><body><table><tr><td>",
           f"<p class=pub>{escape(parts['publisher'])}</p>",
           f"<h1>{escape(parts['series'])} | {escape(parts['title'])}</h1>",
           "<img src='https://tracker.example.com/pixel.gif' width=1 height=1>"]
    out += [f"<p>{escape(p)}</p>" for p in parts["lede"]]
    out.append(f"<p><em>{escape(parts['intro'])}</em></p>")
    for index, (headline, name, role, org) in enumerate(parts["experts"]):
        if headline:
            out.append(f"<h2>{escape(headline)}</h2>")
        out.append(f"<blockquote><p>{escape(quote_for(index, headline))}</p></blockquote>")
        out.append(f"<p><strong>{escape(name)}</strong>, "
                   f"{escape(', '.join(x for x in (role, org) if x))}</p>")
        out.append("<img src='https://cdn.example.com/photo.jpg' alt='portrait'>")
    out.append(f"<h3>{escape(parts['cta'][0])}</h3>")
    out.append("<p><a href='https://example.org/wire'>Subscribe to the Weekly Wire: "
               "https://example.org/wire</a></p>")
    out.append("<script src='https://evil.example.com/x.js'></script></td></tr></table>"
               "</body></html>")
    return "\n".join(out)
