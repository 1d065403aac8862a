"""The traffic of bench/load.py: simulated people over plain HTTP (bench/browser.py: http.client,
no real browser), each in a thread of its own with its own session cookie. The public read the
register and check certificates, council members save answers and assessors save scores
through the real forms (CSRF token, version, the app's conflict protocol), and every response
is checked against the status (and a fragment of the body) it should have.

Standard library only: the load generator's processes never import the app."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections.abc import Callable

from browser import Browser, Tally, csrf, form, multipart, textarea, version

READS = {  # the public's pages, and how often each is asked for
    "register": 8,
    "register: search": 12,
    "register: filters": 12,
    "council page": 10,
    "verify: form": 4,
    "verify": 12,
    "verify: not a certificate": 2,
}
DOWNLOADS = {"certificate PDF": 4, "badge SVG": 3, "badge PNG": 3}
RECOMMENDATIONS = ("award", "do_not_award", "more_information")
SAVED_ANSWER = "Your answer has been saved as a draft."
CONFLICT_PAGE = "Someone else has changed this answer"
SAVED_SCORES = "Your scores have been saved as a draft."
SCORES_CONFLICT = "This assessment was saved in another window"


def marker(run: str, who: str, n: int) -> str:
    """Unique text for one save, with what a real answer holds: quotes, markup, accents."""
    return f"Load {run} {who} save {n}: “we post daily” <b>&amp;</b> café ✓"


# --- The people ------------------------------------------------------------------------------


def reader(world: dict, browser: Browser, rng: random.Random, until: float, tally: Tally) -> None:
    """Someone from the public: the register, council pages, checking certificates."""
    certificates = world["certificates"]
    while time.time() < until:
        label = rng.choices(list(READS), weights=list(READS.values()))[0]
        if label.startswith("register"):
            path = rng.choice(world["register"][label])
            browser.call(label, "GET", path, expect=[200], text="</html>")
        elif label == "council page":
            browser.call(label, "GET", rng.choice(world["council_pages"]), expect=[200])
        elif label == "verify: form":
            number = rng.choice(certificates)["number"]
            path = f"/verify?number={number.lower()}"
            browser.call(label, "GET", path, expect=[302], location=f"/verify/{number}")
        elif label == "verify":
            number = rng.choice(certificates)["number"]
            browser.call(label, "GET", f"/verify/{number}", expect=[200], text=number)
        else:
            number = world["not_a_certificate"]
            browser.call(label, "GET", f"/verify/{number}", expect=[404], text=number)


def downloader(
    world: dict, browser: Browser, rng: random.Random, until: float, tally: Tally
) -> None:
    """Certificate PDFs and badges: councils' websites, people checking a badge."""
    while time.time() < until:
        label = rng.choices(list(DOWNLOADS), weights=list(DOWNLOADS.values()))[0]
        certificate = rng.choice(world["certificates"])
        number = certificate["number"]
        if label == "certificate PDF":
            if certificate["revoked"]:
                browser.call(label, "GET", f"/certificates/{number}.pdf", expect=[410])
            else:
                browser.call(
                    label, "GET", f"/certificates/{number}.pdf", expect=[200], text=b"%PDF-"
                )
        else:
            extension = label.rsplit(" ", 1)[-1].lower()
            size = rng.choice(("small", "medium", "large"))
            path = f"/badges/{number}.{extension}?size={size}"
            start = b"\x89PNG" if extension == "png" else b"<svg"
            browser.call(label, "GET", path, expect=[200], text=start)


def member(spec: dict, run: str, browser: Browser, rng: random.Random, until: float) -> None:
    """A council member working through a section with a colleague: read the answer, save it
    (as a draft, or save and continue), and follow where the app sends them. A 409 is the
    app's conflict page (a colleague saved first): read the answer again and carry on."""
    base = f"/apply/applications/{spec['application_id']}/criteria/"
    tally, page, n = browser.tally, None, 0
    while time.time() < until:
        if page is None or rng.random() < 0.3:
            code = rng.choice(spec["codes"])
            reply = browser.call("answer form", "GET", base + code, expect=[200], text=code)
            page = (code, reply.text) if reply else None
            continue
        code, text = page
        n += 1
        narrative = marker(run, spec["who"], n)
        link = f"https://www.example.gov.uk/evidence/{spec['who']}/{n}"
        links = [link] if rng.random() < 0.5 else []
        score = rng.randint(0, 4)
        button = rng.choice(
            (("save_as_draft", "Save as draft"), ("save_and_continue", "Save and continue"))
        )
        fields = [
            ("csrf_token", csrf(text)),
            ("version", str(version(text))),
            ("self_score", str(score)),
            ("narrative", narrative),
            ("links", "\n".join(links)),
            button,
        ]
        body, content_type = multipart(fields, files=["evidence_file"])
        reply = browser.call(
            "save answer",
            "POST",
            base + code,
            expect=[302, 409],
            body=body,
            content_type=content_type,
        )
        page = None
        if reply is None:
            continue
        if reply.status == 409 and CONFLICT_PAGE not in reply.text:
            tally.fail("save answer", f"POST {base + code}: a 409 without the conflict page")
            continue
        tally.writes.append(
            {
                "kind": "answer",
                "key": f"{spec['application_id']}/{code}",
                "version": version(text),
                "text": narrative,
                "score": score,
                "links": links,
                "seen": textarea(text, "narrative"),
                "outcome": "saved" if reply.status == 302 else "conflict",
            }
        )
        if reply.status == 302:
            following = reply.location
            if following.startswith(base):
                expected = SAVED_ANSWER if button[0] == "save_as_draft" else None
                shown = browser.call("answer form", "GET", following, expect=[200], text=expected)
                page = (following.removeprefix(base), shown.text) if shown else None
            else:
                browser.call("task list", "GET", following, expect=[200])


def assessor(spec: dict, run: str, browser: Browser, rng: random.Random, until: float) -> None:
    """An assessor scoring their applications (two sessions each, as in two windows): every
    criterion's score, feedback and note, a recommendation and a summary, saved as a draft.
    The app redirects either way; the page it sends them to says whether it was saved."""
    tally, n = browser.tally, 0
    assignment = rng.choice(spec["assignments"])
    reply = browser.call("scoring form", "GET", f"/assess/{assignment}", expect=[200])
    page = reply.text if reply else None
    while time.time() < until:
        if page is None or rng.random() < 0.3:
            assignment = rng.choice(spec["assignments"])
            reply = browser.call("scoring form", "GET", f"/assess/{assignment}", expect=[200])
            page = reply.text if reply else None
            continue
        n += 1
        summary = marker(run, spec["who"], n)
        scores = {code: rng.randint(0, 4) for code in spec["codes"]}
        recommendation = rng.choice(RECOMMENDATIONS)
        fields = [("csrf_token", csrf(page)), ("version", str(version(page)))]
        for code, score in scores.items():
            fields += [
                (f"score_{code}", str(score)),
                (f"feedback_{code}", f"{summary} [{code}]"),
                (f"note_{code}", f"Note {n} on {code}"),
            ]
        fields += [
            ("recommendation", recommendation),
            ("summary", summary),
            ("save", "Save as draft"),
        ]
        here = f"/assess/{assignment}"
        body, content_type = form(fields)
        reply = browser.call(
            "save scores",
            "POST",
            here,
            expect=[302],
            location=here,
            body=body,
            content_type=content_type,
        )
        seen, sent, page = textarea(page, "summary"), version(page), None
        if reply is None:
            continue
        shown = browser.call("scoring form", "GET", here, expect=[200])
        if shown is None:
            continue
        outcome = (
            "saved"
            if SAVED_SCORES in shown.text
            else "conflict"
            if SCORES_CONFLICT in shown.text
            else None
        )
        if outcome is None:
            tally.fail("save scores", f"POST {here}: the page says neither saved nor conflict")
            continue
        page = shown.text
        tally.writes.append(
            {
                "kind": "assessment",
                "key": str(assignment),
                "version": sent,
                "text": summary,
                "scores": scores,
                "recommendation": recommendation,
                "seen": seen,
                "outcome": outcome,
            }
        )


# --- Running it ------------------------------------------------------------------------------


def _person(spec: dict, world: dict, port: int, tally: Tally) -> tuple[Browser, Callable]:
    browser = Browser(port, tally)
    rng = random.Random(spec["seed"])  # noqa: S311 (traffic, not secrets)
    run = world["run"]
    if spec["role"] == "reader":
        return browser, lambda until: reader(world, browser, rng, until, tally)
    if spec["role"] == "downloader":
        return browser, lambda until: downloader(world, browser, rng, until, tally)
    browser.sign_in(spec["email"], world["password"], world["two_factor_key"])
    if spec["role"] == "member":
        return browser, lambda until: member(spec, run, browser, rng, until)
    return browser, lambda until: assessor(spec, run, browser, rng, until)


def _process(specs, world, port, ready, go, start, times, results) -> None:
    tally = Tally()
    try:
        people = [_person(spec, world, port, tally)[1] for spec in specs]
    except Exception as error:  # signing in failed: nothing to measure
        ready.put(f"could not start: {error!r}")
        return
    ready.put("ready")
    go.wait()
    warmup, duration = times
    tally.measured_from = start.value + warmup
    until = tally.measured_until = tally.measured_from + duration

    def guarded(work: Callable[[float], None]) -> None:
        try:
            work(until)
        except Exception as error:  # a page the script could not read: an error, not a crash
            tally.fail("(generator)", repr(error))

    threads = [threading.Thread(target=guarded, args=(work,)) for work in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(tally.plain())


def run(specs: list[dict], world: dict, port: int, warmup: float, duration: float, processes: int):
    """Run every person (threads, spread over `processes`), released together, for `warmup`
    seconds then `duration` seconds measured. Returns the processes' tallies."""
    context = multiprocessing.get_context("fork")  # no re-import of the app in the children
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start = context.Value("d", 0.0)
    shares = [specs[i::processes] for i in range(processes)]
    workers = [
        context.Process(
            target=_process,
            args=(share, world, port, ready, go, start, (warmup, duration), results),
        )
        for share in shares
        if share
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            message = ready.get(timeout=300)
            if message != "ready":
                raise RuntimeError(message)
        start.value = time.time()
        go.set()
        tallies = [results.get(timeout=warmup + duration + 300) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    return tallies
