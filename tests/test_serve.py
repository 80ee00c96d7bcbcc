"""The HTTP service through a real client against a running server, and the page in a real browser."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

ARTICLE = ("GAO, Mali (AP) — French troops pulled out of their last base in Gao on Monday, handing it to the Malian army. "
           "The central bank kept interest rates unchanged.\n\n"
           "Some 40 inmates broke out of the city jail during the night, police said. Rain fell across the region.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(shipped):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "event_classifier.cli", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            pytest.fail(proc.stdout.read())
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_health_and_openapi(server):
    h = httpx.get(server + "/health").json()
    assert h["status"] == "ok" and h["labels"] == ["withdrawal", "transfer", "escape", "repatriation"]
    schema = httpx.get(server + "/openapi.json").json()
    assert {"/predict", "/document", "/health"} <= set(schema["paths"])


def test_predict_matches_the_python_api(server):
    from event_classifier import predict

    texts = ["Dozens of inmates broke out of the central prison overnight.", "Rain is expected."]
    r = httpx.post(server + "/predict", json={"texts": texts, "explain": True})
    assert r.status_code == 200, r.text
    got = r.json()["predictions"]
    want = predict(texts, explain=True)
    assert [g["labels"] for g in got] == [w.labels for w in want]
    assert got[0]["evidence"]["escape"] == [list(s) for s in want[0].evidence["escape"]]
    one = httpx.post(server + "/predict", json={"text": texts[0]}).json()["predictions"][0]
    assert one["labels"] == ["escape"] and "evidence" not in one


def test_document(server):
    r = httpx.post(server + "/document", json={"text": ARTICLE})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert {"withdrawal", "escape"} <= set(doc["labels"])
    for s in doc["sentences"]:
        assert ARTICLE[s["start"]:s["end"]] == s["text"]
        for spans in s.get("evidence", {}).values():
            for a, b, _ in spans:
                assert s["start"] <= a < b <= s["end"]


@pytest.mark.parametrize("body, status, message", [
    ({"texts": "not a list"}, 422, "texts"),
    ({"texts": [1, 2]}, 422, "texts"),
    ({}, 422, "exactly one of"),
    ({"text": "x", "threshold": 5}, 422, "threshold"),
    ({"text": 7}, 422, "text"),
])
def test_bad_requests_get_a_clear_4xx(server, body, status, message):
    r = httpx.post(server + "/predict", json=body)
    assert r.status_code == status, r.text
    assert message in json.dumps(r.json())


def test_empty_broken_and_oversized_bodies(server):
    r = httpx.post(server + "/predict", content=b"", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "empty request body" in r.json()["error"]
    r = httpx.post(server + "/document", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    r = httpx.post(server + "/document", json={"text": "x" * 1_100_000})
    assert r.status_code == 413 and "over 1000000 bytes" in r.json()["error"]
    assert httpx.get(server + "/health").status_code == 200  # still up


def test_concurrent_clients_get_the_serial_answers(server):
    texts = [f"{n} prisoners were moved to a jail in the capital, officials said." if n % 2 else f"Rain fell for {n} hours."
             for n in range(1, 25)]
    serial = [httpx.post(server + "/predict", json={"texts": [t]}).json()["predictions"][0] for t in texts]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda t: httpx.post(server + "/predict", json={"texts": [t]}, timeout=60).json()["predictions"][0], texts))
    assert parallel == serial


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.slow
def test_reading_view_in_a_headless_browser(server, root):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    browser, driver_path = _chromium(), shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip("Debian's chromium and chromium-driver are not installed (make test installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,900"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)  # a local driver: nothing is downloaded
    try:
        driver.get(server + "/")
        box = driver.find_element(By.ID, "text")
        box.send_keys(ARTICLE)
        driver.find_element(By.ID, "go").click()
        WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.ID, "label-escape")))
        api = httpx.post(server + "/document", json={"text": ARTICLE}).json()
        chips = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#labels .chip")]
        assert chips == api["labels"] and {"withdrawal", "escape"} <= set(chips)
        # every sentence is on the page, in order, with the labels the API gives it
        shown = driver.find_elements(By.CSS_SELECTOR, "#article .sent")
        assert [m.text for m in shown] == [s["text"] for s in api["sentences"]]
        assert [m.get_attribute("data-labels") for m in shown] == [",".join(s["labels"]) for s in api["sentences"]]
        jail = next(m for m in shown if "broke out" in m.text)
        assert "labelled" in jail.get_attribute("class") and "escape:" in jail.get_attribute("title")
        underlined = [u.text for u in jail.find_elements(By.CSS_SELECTOR, ".ev")]
        want = [ARTICLE[a:b] for s in api["sentences"] if "broke out" in s["text"] for spans in s["evidence"].values() for a, b, _ in spans]
        assert underlined and set(underlined) == set(want)
        if os.environ.get("EVENT_CLASSIFIER_SCREENSHOT"):
            driver.save_screenshot(os.environ["EVENT_CLASSIFIER_SCREENSHOT"])
    finally:
        driver.quit()
