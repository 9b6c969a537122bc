from services.web.cookie_sites import FIRST_ID, app, profiles


def call(application, path="/", host="x", cookie=None, query=""):
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": host}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    captured = {}

    def start_response(status, headers):
        captured["status"], captured["headers"] = status, dict(headers)

    body = b"".join(application(environ, start_response))
    return captured["headers"], body.decode(errors="replace")


def test_shop_issues_1678_then_recognises_it(tmp_path):
    shop = app("shop", str(tmp_path / "shop.sqlite"))
    headers, body = call(shop)
    assert headers["Set-Cookie"].startswith(f"shop-id={FIRST_ID};")
    assert headers["X-Recognised"] == "no" and str(FIRST_ID) in body
    headers, body = call(shop, cookie=f"shop-id={FIRST_ID}")
    assert headers["X-Recognised"] == "yes" and "visit 2" in body
    assert "Set-Cookie" not in headers
    headers, _ = call(shop)
    assert headers["X-Shopper"] == str(FIRST_ID + 1)


def test_news_pages_embed_the_ad_for_their_site():
    _, body = call(app("news", "adx.example"), host="news-a.example")
    assert '<img src="http://adx.example/ad?site=news-a.example">' in body


def test_tracker_links_only_browsers_that_come_back(tmp_path):
    db = str(tmp_path / "adx.sqlite")
    adx = app("adx", db)
    headers, _ = call(adx, query="site=news-a.example")
    ident = headers["Set-Cookie"].split(";")[0].split("=")[1]
    call(adx, query="site=news-b.example", cookie=f"adx-id={ident}")
    call(adx, query="site=news-c.example")  # a browser that never returns
    assert profiles(db) == {int(ident): ["news-a.example", "news-b.example"]}
