// One journey per role in a real browser (Debian's Chromium through playwright-core), with an
// axe-core check of every page visited. Started by the Rust test `browser::journeys`, which runs
// the server and prepares the data; arguments come as JSON in OPSTAP_JOURNEY.
//
// employer posts a placement -> klantmanager finds it for a candidate and proposes it ->
// the candidate consents -> the employer sees an anonymous profile, shows interest ->
// the klantmanager confirms the introduction -> only now the employer sees the name.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import fs from "node:fs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const cfg = JSON.parse(process.env.OPSTAP_JOURNEY);
const { base, shots, password, employer, klantmanager, beheerder, candidate, candidateId, expiredCandidateToken, firstName, lastName, occupation, skill, pc4, regularJob } = cfg;
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({ executablePath: cfg.chromium || "/usr/bin/chromium", args: ["--no-sandbox"] });
const problems = [];
const checked = new Set();

// axe on the page as it is now; serious and critical violations fail the run.
async function axe(page, name) {
  const key = name;
  if (checked.has(key)) return;
  checked.add(key);
  await page.addScriptTag({ content: AXE });
  const res = await page.evaluate(async () => await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  // Every id once: a duplicate sends a label (or an error link) to another form's field.
  const dups = await page.evaluate(() => {
    const seen = new Map();
    for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  });
  if (dups.length) problems.push(`${name}: duplicate ids ${dups.join(", ")}`);
  for (const v of res.violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      problems.push(`${name}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
    }
  }
}

async function shot(page, name) {
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function newPage(opts = {}) {
  // bypassCSP only so that axe can be injected; the app's own pages run no inline script.
  const ctx = await browser.newContext({ bypassCSP: true, locale: "nl-NL", ...opts });
  return ctx.newPage();
}

async function login(page, email, expectPath) {
  await page.goto(`${base}/inloggen`);
  await axe(page, "inloggen");
  await page.getByLabel("E-mailadres").fill(email);
  await page.getByLabel("Wachtwoord", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL((u) => u.pathname === expectPath);
}

const today = new Date();
// Dates as the server reads them: "today" is in Europe/Amsterdam (an hour or two ahead of UTC,
// so between 22:00 and 24:00 UTC the UTC date is yesterday there).
const amsterdam = (d) => new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Amsterdam" }).format(d);
const todayNl = amsterdam(today);
const inAWeek = amsterdam(new Date(today.getTime() + 7 * 86400000));
const title = `Medewerker ${occupation} (browsertest)`;

// ---------------------------------------------------------------- the public
{
  const page = await newPage();
  await page.goto(`${base}/`);
  await axe(page, "start");
  const footer = await page.locator("footer").innerText();
  assert.match(footer, /ESCO-classificatie van de Europese Commissie/);
  assert.match(footer, /GeoNames/);
  assert.match(footer, /Opstap is een dienst van Gemeente/);
  await shot(page, "01-startpagina");
  // The statements every municipal site publishes, in the site's layout.
  await page.getByRole("link", { name: "Privacyverklaring" }).click();
  assert.match(await page.locator("h1").innerText(), /Privacyverklaring/);
  assert.match(await page.locator("main").innerText(), /AVG/);
  await axe(page, "privacy");
  await page.getByRole("link", { name: "Toegankelijkheidsverklaring" }).click();
  assert.match(await page.locator("main").innerText(), /WCAG 2\.1/);
  await axe(page, "toegankelijkheid");
  // An unknown address: a page in the layout, not JSON.
  const resp = await page.goto(`${base}/bestaat-niet`);
  assert.equal(resp.status(), 404);
  assert.match(await page.locator("h1").innerText(), /Niet gevonden/);
  assert.equal(await page.locator("footer").count(), 1);
  await axe(page, "niet-gevonden");
  await page.goto(`${base}/plekken`);
  await axe(page, "plekken");
  // A public regular vacancy carries schema.org JobPosting JSON-LD.
  await page.goto(`${base}/plekken/${regularJob}`);
  await axe(page, "plek-publiek");
  const ld = JSON.parse(await page.locator('script[type="application/ld+json"]').textContent());
  assert.equal(ld["@type"], "JobPosting");
  assert.equal(ld.title, await page.locator("h1").innerText());
  assert.equal(ld.hiringOrganization["@type"], "Organization");
  await page.context().close();
}

let placementPath;
// ---------------------------------------------------------------- 0. a new employer registers
{
  const page = await newPage();
  await page.goto(`${base}/inloggen`);
  await page.getByRole("link", { name: "Meld uw organisatie aan" }).click();
  await axe(page, "registreren");
  // An inwoner signs up: the form with its mistakes, at phone width too.
  await page.goto(`${base}/aanmelden`);
  await axe(page, "aanmelden");
  await page.getByRole("button", { name: "Aanmelden" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /Controleer het formulier/);
  await axe(page, "aanmelden-fouten");
  for (const width of [320, 390]) {
    await page.setViewportSize({ width, height: 800 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `aanmelden fits ${width} px`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base}/registreren`);
  await page.getByLabel("Naam van de organisatie").fill("Kwekerij De Berkelstroom");
  await page.getByLabel("KvK-nummer").fill("1234");
  await page.getByRole("button", { name: "Aanmelden" }).click();
  const summary = await page.locator(".error-summary").innerText();
  assert.match(summary, /8 cijfers/);
  assert.match(summary, /wachtwoord/i);
  assert.equal(await page.getByLabel("Naam van de organisatie").inputValue(), "Kwekerij De Berkelstroom", "input kept");
  await axe(page, "registreren-fouten");
  await page.getByLabel("KvK-nummer").fill("55501234");
  await page.getByLabel("Sector", { exact: true }).fill("Groen");
  await page.getByLabel("Postcode (4 cijfers)").fill(pc4);
  await page.getByLabel("Uw naam").fill("Berend Kwekerij");
  await page.getByLabel("Uw e-mailadres").fill("berend@kwekerij.test");
  await page.getByLabel("Wachtwoord").fill("kwekerij-wachtwoord-1");
  await page.getByRole("button", { name: "Aanmelden" }).click();
  // The same answer for a new and a known address (no account enumeration); then log in.
  await page.waitForURL((u) => u.pathname === "/registreren/ontvangen");
  assert.match(await page.locator("main").innerText(), /aanmelding is ontvangen/i);
  await axe(page, "registreren-ontvangen");
  await page.getByRole("link", { name: "Naar inloggen" }).click();
  await page.getByLabel("E-mailadres").fill("berend@kwekerij.test");
  await page.getByLabel("Wachtwoord", { exact: true }).fill("kwekerij-wachtwoord-1");
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL((u) => u.pathname === "/werkgever");
  assert.match(await page.locator("main").innerText(), /nog niet gecontroleerd/);
  await page.context().close();
}

// ---------------------------------------------------------------- 0b. password forgotten
{
  const page = await newPage();
  await page.goto(`${base}/inloggen`);
  await page.getByRole("link", { name: "Wachtwoord vergeten?" }).click();
  await axe(page, "wachtwoord-vergeten");
  await page.getByLabel("E-mailadres").fill("niemand@example.test");
  await page.getByRole("button", { name: "Stuur mij een link" }).click();
  assert.match(await page.locator("main").innerText(), /Als er een account is/);
  await page.goto(`${base}/wachtwoord-herstellen?token=ongeldig`);
  await axe(page, "wachtwoord-herstellen");
  await page.getByLabel("Nieuw wachtwoord").fill("een-nieuw-wachtwoord");
  await page.getByRole("button", { name: "Wachtwoord opslaan" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /ongeldig/);
  await page.context().close();
}

// ---------------------------------------------------------------- 1. employer posts a placement
{
  const page = await newPage();
  await login(page, employer, "/werkgever");
  await axe(page, "werkgever-overzicht");
  await page.getByRole("link", { name: "Nieuwe plek plaatsen" }).click();
  await axe(page, "plek-formulier");
  // A rejected form comes back with the input kept and a message beside each wrong field.
  await page.getByLabel("Titel").fill(title);
  await page.getByLabel("Minimaal aantal uren per week").fill("veel");
  await page.getByRole("button", { name: "Plek opslaan" }).click();
  assert.equal(await page.getByLabel("Titel").inputValue(), title, "input kept");
  const summary = await page.locator(".error-summary").innerText();
  assert.match(summary, /heel getal/);
  assert.match(summary, /soort plek/i);
  await axe(page, "plek-formulier-fouten");
  await shot(page, "02-werkgever-formulier-met-fouten");
  await page.getByLabel("Soort plek").selectOption("werkervaringsplaats");
  await page.getByLabel("Wat is het werk?").fill("Samen met het team het werk leren. Een vaste begeleider helpt u.");
  await page.getByLabel("Beroep (ESCO)").fill(occupation);
  await page.getByLabel("Vaardigheid 1").fill(skill);
  await page.getByLabel("Minimaal aantal uren per week").fill("16");
  await page.getByLabel("Maximaal aantal uren per week").fill("24");
  await page.getByLabel("Postcode (4 cijfers) van de werkplek").fill(pc4);
  await page.getByLabel("Vaste begeleider op de werkvloer").check();
  await page.getByLabel("Jobcoach welkom").check();
  await page.getByLabel("Duur in maanden (werkervaringsplaats, proefplaatsing)").fill("6");
  await page.getByRole("button", { name: "Plek opslaan" }).click();
  await page.waitForURL((u) => u.pathname === "/werkgever");
  await assert.doesNotReject(page.getByRole("link", { name: title, exact: true }).waitFor());
  placementPath = await page.getByRole("link", { name: title, exact: true }).getAttribute("href");
  // Edit it: the form comes back filled in.
  await page.getByRole("link", { name: `Bewerken ${title}` }).click();
  await axe(page, "plek-bewerken");
  assert.equal(await page.getByLabel("Titel").inputValue(), title);
  await page.getByLabel("Maximaal aantal uren per week").fill("28");
  await page.getByRole("button", { name: "Plek opslaan" }).click();
  await page.waitForURL((u) => u.pathname === "/werkgever");
  await page.goto(`${base}${placementPath}`);
  assert.match(await page.locator("main").innerText(), /16 tot 28 uur/);
  assert.match(await page.locator("main").innerText(), new RegExp(skill.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "the skill is shown and kept on edit");
  await page.goto(`${base}/werkgever`);
  await shot(page, "03-werkgever-overzicht");
  await page.getByRole("link", { name: "Gegevens van uw organisatie" }).click();
  await axe(page, "organisatie");
  const email = page.getByLabel("E-mailadres contactpersoon");
  const before = await email.inputValue();
  await email.fill("geen-adres");
  await page.getByRole("button", { name: "Opslaan" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /e-mailadres/i);
  assert.equal(await email.inputValue(), "geen-adres", "input kept");
  await email.fill(before);
  await page.getByRole("button", { name: "Opslaan" }).click();
  await page.waitForURL((u) => u.searchParams.has("opgeslagen"));
  await page.context().close();
}

// ---------------------------------------------------------------- 2. klantmanager finds and proposes
let matchUrl;
let regularTitle;
{
  const page = await newPage();
  // An expired session sends you to the login page and back.
  await page.context().addCookies([{ name: "opstap_session", value: "verlopen.token.x", url: base }]);
  await page.goto(`${base}/klantmanager/kandidaten/${candidateId}`);
  assert.equal(new URL(page.url()).pathname, "/inloggen");
  assert.equal(new URL(page.url()).searchParams.get("terug"), `/klantmanager/kandidaten/${candidateId}`);
  await page.getByLabel("E-mailadres").fill(klantmanager);
  await page.getByLabel("Wachtwoord", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL((u) => u.pathname === `/klantmanager/kandidaten/${candidateId}`);
  await axe(page, "kandidaat-pagina");
  await page.goto(`${base}/klantmanager`);
  await axe(page, "caseload");
  await shot(page, "04-klantmanager-caseload");
  // Register a new candidate: first with missing fields, then complete.
  await page.getByRole("link", { name: "Nieuwe kandidaat aanmelden" }).click();
  await axe(page, "nieuwe-kandidaat");
  await page.getByLabel("Voornaam").fill("Jantine");
  await page.getByRole("button", { name: "Kandidaat aanmelden" }).click();
  // One round names every field that is wrong (a wrong date does not hide a missing name).
  const missing = await page.locator(".error-summary").innerText();
  assert.match(missing, /achternaam/i);
  assert.match(missing, /Geboortedatum: /);
  assert.match(missing, /Maximale reisafstand: /);
  assert.equal(await page.getByLabel("Voornaam").inputValue(), "Jantine");
  await page.getByLabel("Achternaam").fill("Nieuwenhuis");
  await page.getByLabel("Geboortedatum").fill("1991-04-12");
  await page.getByLabel("Postcode (4 cijfers)").fill(pc4);
  await page.getByLabel("Minimaal uren per week").fill("12");
  await page.getByLabel("Maximaal uren per week").fill("24");
  await page.getByLabel("Maximale reisafstand (km)").fill("10");
  await page.getByLabel("Beroep toevoegen").fill(occupation);
  await page.getByLabel("Trede op de participatieladder (eerste meting, vandaag)").selectOption("3");
  await page.getByRole("button", { name: "Kandidaat aanmelden" }).click();
  await page.waitForURL((u) => /^\/klantmanager\/kandidaten\/[0-9a-f-]{36}$/.test(u.pathname));
  assert.match(await page.locator("h1").innerText(), /Jantine Nieuwenhuis/);
  await page.goto(`${base}/klantmanager/kandidaten/${candidateId}`);
  await page.getByRole("link", { name: "Zoek passende plekken" }).click();
  await axe(page, "passende-plekken");
  const card = page.locator("li.card", { has: page.getByRole("heading", { name: title }) });
  await card.waitFor();
  await card.locator("summary").click();
  assert.match(await card.innerText(), /Score/);
  await shot(page, "05-klantmanager-voorstellen");
  await card.getByLabel("Jobcoach").check();
  await card.getByLabel("Bericht aan de kandidaat").fill("Dit lijkt me een mooie stap.");
  await card.getByRole("button", { name: /Voorstellen aan/ }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/matches/"));
  matchUrl = page.url();
  await axe(page, "match-klantmanager");
  // The placement with ranked candidates of the municipality.
  await page.goto(`${base}${placementPath}`);
  await page.getByRole("link", { name: "Passende kandidaten voor deze plek" }).click();
  await axe(page, "kandidaten-voor-plek");
  assert.match(await page.locator("main").innerText(), new RegExp(`${firstName} ${lastName}`));
  assert.match(await page.locator("main").innerText(), /Al voorgesteld/);
  await page.context().close();
}

// ---------------------------------------------------------------- 3. the candidate consents
{
  const page = await newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await login(page, candidate, "/kandidaat");
  await axe(page, "kandidaat-overzicht");
  // What the matcher finds for her, each with the fit label in plain words.
  const suits = page.locator("#passend").locator("xpath=..");
  for (const item of await suits.locator("ul.results > li").all()) {
    assert.match(await item.innerText(), /Past (goed|misschien)\./);
  }
  await shot(page, "06-kandidaat-telefoon");
  await page.getByRole("region", { name: "Uw voorstellen" }).getByRole("link", { name: title, exact: true }).click();
  await axe(page, "voorstel-kandidaat");
  await shot(page, "07-kandidaat-voorstel-telefoon");
  // Why it suits her, who her klantmanager is, and where she stands.
  const proposal = await page.locator("main").innerText();
  assert.match(proposal, /Waarom dit bij u past/);
  assert.match(proposal, /Uw klantmanager/);
  assert.equal(await page.locator("ol.stepper li").count(), 5);
  assert.match(await page.locator('ol.stepper li[aria-current="step"]').innerText(), /Nu:\s+Uw antwoord/);
  // Her session runs out just before she answers: after logging in again she is offered to
  // send her answer after all, and one button does it.
  await page.context().clearCookies({ name: "opstap_session" });
  await page.context().addCookies([{ name: "opstap_session", value: expiredCandidateToken, url: base }]);
  await page.getByRole("button", { name: "Ja, ik wil kennismaken" }).click();
  await page.waitForURL((u) => u.pathname === "/inloggen" && u.searchParams.get("terug") === "/doorgaan").catch(async (e) => {
    throw new Error(`after an expired session: at ${page.url()}: ${(await page.locator("main").innerText()).slice(0, 400)} ${e.message}`);
  });
  assert.match(await page.locator("main").innerText(), /Daarna kunt u verder met wat u aan het doen was/);
  await page.getByLabel("E-mailadres").fill(candidate);
  await page.getByLabel("Wachtwoord", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL((u) => u.pathname === "/doorgaan").catch((e) => {
    throw new Error(`after logging in again: at ${page.url()}: ${e.message}`);
  });
  assert.match(await page.locator("main").innerText(), /U wilde: Ja zeggen op het voorstel\./);
  await axe(page, "verder-waar-u-was");
  await page.setViewportSize({ width: 320, height: 800 });
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, "/doorgaan too wide at 320 px");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Ja, doe dit nu" }).click();
  await page.waitForURL(matchUrl);
  assert.match(await page.locator(".status").innerText(), /U zei ja/);
  await axe(page, "voorstel-kandidaat-ja");
  // "Ik heb interesse" in another placement: her overview shows it.
  await page.goto(`${base}/plekken/${regularJob}`);
  regularTitle = await page.locator("h1").innerText();
  await page.getByRole("button", { name: "Ik heb interesse" }).click();
  await page.waitForURL((u) => u.pathname === `/plekken/${regularJob}`);
  assert.match(await page.locator("#interesse").innerText(), /klantmanager/);
  await page.goto(`${base}/kandidaat`);
  assert.match(await page.locator("#interesse").locator("xpath=..").innerText(), new RegExp(regularTitle.replace(/[()]/g, ".")));
  await axe(page, "kandidaat-overzicht-interesse");
  await page.goto(`${base}/kandidaat/gegevens`);
  await axe(page, "mijn-gegevens");
  assert.match(await page.locator("body").innerText(), /Wie heeft uw gegevens bekeken/);
  // Her own wishes: a sector ticked and saved, shown back.
  await page.goto(`${base}/kandidaat/wensen`);
  await axe(page, "mijn-wensen");
  await page.getByLabel("maandag").check();
  await page.getByRole("button", { name: "Bewaren" }).click();
  await page.waitForURL((u) => u.pathname === "/kandidaat/wensen");
  assert.match(await page.locator("main").innerText(), /Uw wensen zijn bewaard/);
  assert.ok(await page.getByLabel("maandag").isChecked());
  await axe(page, "mijn-wensen-bewaard");
  await page.goto(`${base}/kandidaat/plan`);
  await axe(page, "mijn-plan");
  await page.goto(`${base}/kandidaat/gegevens/alles`);
  await axe(page, "alles-wat-we-weten");
  assert.match(await page.locator("main").innerText(), /Wie uw gegevens bekeek of veranderde/);
  // Every page of hers reflows at phone width: no sideways scrolling (WCAG 1.4.10).
  for (const width of [320, 390]) {
    await page.setViewportSize({ width, height: 800 });
    for (const path of ["/kandidaat", matchUrl.replace(base, ""), "/plekken", `/plekken/${regularJob}`, "/kandidaat/gegevens", "/kandidaat/gegevens/alles", "/kandidaat/wensen", "/kandidaat/plan", "/toegankelijkheid", "/privacy"]) {
      await page.goto(`${base}${path}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 0, `${path} is ${wide} px too wide at ${width} px`);
    }
  }
  await page.setViewportSize({ width: 390, height: 844 });
  // Logout works: afterwards the pages ask for a login again.
  await page.getByRole("button", { name: "Uitloggen" }).click();
  await page.waitForURL((u) => u.pathname === "/inloggen");
  await page.goto(`${base}/kandidaat`);
  assert.equal(new URL(page.url()).pathname, "/inloggen");
  await page.context().close();
}

// ---------------------------------------------------------------- 4. employer: anonymous, then interested
{
  const page = await newPage();
  await login(page, employer, "/werkgever");
  await page.getByRole("link", { name: /^Kandidaat K-/ }).first().click();
  await axe(page, "match-werkgever-anoniem");
  const body = await page.locator("main").innerText();
  assert.ok(!body.includes(firstName) && !body.includes(lastName), "no name before disclosure");
  assert.match(body, /Anoniem profiel/);
  assert.match(body, /Nettokosten/);
  await shot(page, "08-werkgever-anoniem-profiel");
  await page.getByRole("button", { name: "Ja, ik heb interesse" }).click();
  await page.waitForURL(matchUrl);
  const after = await page.locator("main").innerText();
  assert.ok(!after.includes(firstName) && !after.includes(lastName), "interest alone discloses nothing");
  await page.context().close();
}

// ---------------------------------------------------------------- 5. klantmanager confirms the introduction
{
  const page = await newPage();
  await login(page, klantmanager, "/klantmanager");
  await page.goto(matchUrl);
  await page.getByLabel("Datum kennismaking").fill(inAWeek);
  await page.getByLabel("Tijd (niet verplicht)").fill("10:30");
  await page.getByLabel("Vraag naar (niet verplicht)").fill("Petra de Wit");
  await page.getByRole("button", { name: "Kennismaking bevestigen" }).click();
  await page.waitForURL(matchUrl);
  assert.match(await page.locator(".status").innerText(), /Kennismaking/);
  assert.match(await page.locator("#kennismaking").locator("xpath=..").innerText(), /om 10:30[\s\S]*Petra de Wit/);
  await axe(page, "match-klantmanager-kennismaking");
  await shot(page, "09-klantmanager-match");
  // The score as bars per factor.
  assert.ok((await page.locator("table.bars svg.bar").count()) >= 5);
  // The candidate's interest is a task naming the placement; the klantmanager closes it.
  await page.goto(`${base}/klantmanager`);
  const task = page.locator("table.tasks tr", { hasText: regularTitle });
  await task.getByRole("link", { name: regularTitle }).waitFor();
  await task.getByLabel(/Uitkomst/).selectOption("besproken");
  await task.getByRole("button", { name: /Afronden/ }).click();
  await page.waitForURL((u) => u.searchParams.get("taak") === "afgerond");
  assert.match(await page.locator("main").innerText(), /De taak is afgerond/);
  assert.equal(await page.locator("table.tasks tr", { hasText: regularTitle }).count(), 0);
  await axe(page, "caseload-taak-afgerond");
  await page.context().close();
}

// ---------------------------------------------------------------- 5b. the record complete on the pages
// The klantmanager records a measurement with its target step, a skill, a ZRM score and uitstroom
// for Jantine (registered above), and the proposals, the caseload and the monitor follow.
{
  const page = await newPage();
  await login(page, klantmanager, "/klantmanager");
  const uitstroomCell = () => page.locator("table tr", { has: page.locator("th", { hasText: /^Uitstroom$/ }) }).first().locator("td");
  await page.goto(`${base}/monitor`);
  const outBefore = Number(await uitstroomCell().innerText());
  await page.goto(`${base}/klantmanager`);
  const row = () => page.locator("table tr", { has: page.getByRole("link", { name: "Jantine Nieuwenhuis" }) });
  assert.doesNotMatch(await row().innerText(), /urgente belemmering/);
  await row().getByRole("link", { name: "Jantine Nieuwenhuis" }).click();
  const jantine = new URL(page.url()).pathname;
  // A new measurement with its target step.
  await page.getByLabel("Datum van de meting").fill(todayNl);
  await page.getByLabel("Trede", { exact: true }).selectOption("4");
  await page.getByLabel("Doeltrede").selectOption("5");
  await page.getByRole("button", { name: "Meting opslaan" }).click();
  await page.waitForURL((u) => u.pathname === jantine);
  assert.match(await page.locator("#trede").locator("xpath=..").locator("tbody tr").first().innerText(), /4\s+5/);
  // How the skills cover the placement's before she has the skill.
  const skillsRow = async () => {
    await page.goto(`${base}${jantine}/plekken`);
    const card = page.locator("li.card", { has: page.getByRole("heading", { name: title }) });
    await card.waitFor();
    await card.locator("summary").click();
    const text = await card.locator("tr", { hasText: /vaardigheden:/ }).innerText();
    const have = [...text.matchAll(/(\d+) van (\d+);?/g)].map((m) => Number(m[1]));
    return { text, have: have.reduce((a, b) => a + b, 0), card };
  };
  const before = await skillsRow();
  // A skill by its Dutch name and a ZRM score of 2 on the profile form.
  await page.goto(`${base}${jantine}/bewerken`);
  await axe(page, "kandidaat-bewerken-volledig");
  await page.getByLabel("Vaardigheid toevoegen").fill(skill);
  await page.getByLabel("Financiën").selectOption("2");
  await page.getByRole("button", { name: "Profiel opslaan" }).click();
  await page.waitForURL((u) => u.pathname === jantine);
  assert.match(await page.locator("#vaardigheden").innerText(), new RegExp(skill.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.match(await page.locator("#urgent").innerText(), /Financiën/);
  const after = await skillsRow();
  assert.ok(after.have > before.have, `skill coverage rose: ${before.text} -> ${after.text}`);
  assert.match(await after.card.innerText(), /Urgente belemmering: Financiën/);
  await page.goto(`${base}/klantmanager`);
  assert.match(await row().innerText(), /urgente belemmering: Financiën/);
  // The skill is removed again by unticking it; the ZRM score stays.
  await page.goto(`${base}${jantine}/bewerken`);
  await page.getByLabel(skill, { exact: true }).uncheck();
  await page.getByRole("button", { name: "Profiel opslaan" }).click();
  await page.waitForURL((u) => u.pathname === jantine);
  assert.equal((await page.locator("#vaardigheden").innerText()).trim(), "geen");
  // Uitstroom: the reason without a date is refused with the rest kept, then recorded.
  await page.goto(`${base}${jantine}/bewerken`);
  await page.getByLabel("Reden van uitstroom").selectOption("betaald_werk");
  await page.getByRole("button", { name: "Profiel opslaan" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /datum van uitstroom/i);
  assert.equal(await page.getByLabel("Financiën").inputValue(), "2");
  await page.getByLabel("Datum van uitstroom").fill(todayNl);
  await page.getByRole("button", { name: "Profiel opslaan" }).click();
  await page.waitForURL((u) => u.pathname === jantine);
  assert.match(await page.locator("#uitgestroomd").innerText(), /Uitgestroomd op .*werk zonder ondersteuning/);
  await page.goto(`${base}/monitor`);
  assert.equal(Number(await uitstroomCell().innerText()), outBefore + 1, "the monitor counts the uitstroom");
  for (const width of [320, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await page.goto(`${base}${jantine}/bewerken`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `profile form fits ${width} px`);
  }
  await page.context().close();
}

// ---------------------------------------------------------------- 6. only now the employer sees the name
{
  const page = await newPage();
  await login(page, employer, "/werkgever");
  await page.goto(matchUrl);
  assert.equal((await page.locator("#kandidaat-naam").innerText()).trim(), `${firstName} ${lastName}`);
  await axe(page, "match-werkgever-bekend");
  await shot(page, "10-werkgever-na-toestemming");
  await page.context().close();
}

// ---------------------------------------------------------------- beheerder
{
  const page = await newPage();
  await login(page, beheerder, "/beheer");
  await axe(page, "beheer");
  // Verify the employer that waits for it.
  await page.getByRole("button", { name: /Gecontroleerd.*Fietsenwinkel Het Spaakje/ }).click();
  await page.waitForURL((u) => u.searchParams.has("geverifieerd"));
  assert.match(await page.locator(".notice").innerText(), /gecontroleerd/);
  assert.equal(await page.getByRole("button", { name: /Gecontroleerd.*Fietsenwinkel Het Spaakje/ }).count(), 0);
  // Add a colleague: a short password is refused with the rest kept.
  await page.getByLabel("Naam", { exact: true }).fill("Nieuwe Klantmanager");
  await page.getByLabel("E-mailadres").fill("nieuw.km@lochem.demo");
  await page.getByLabel("Eerste wachtwoord").fill("kort");
  await page.getByRole("button", { name: "Toevoegen" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /10 tekens/);
  assert.equal(await page.getByLabel("E-mailadres").inputValue(), "nieuw.km@lochem.demo");
  await axe(page, "beheer-fout");
  await page.getByLabel("Eerste wachtwoord").fill("een-lang-genoeg-wachtwoord");
  await page.getByRole("button", { name: "Toevoegen" }).click();
  await page.waitForURL((u) => u.searchParams.has("aangemaakt"));
  assert.match(await page.locator("main").innerText(), /nieuw\.km@lochem\.demo/);
  await page.getByRole("link", { name: "Instellingen van de gemeente" }).click();
  await axe(page, "instellingen");
  const skills = page.getByLabel("Beroep en vaardigheden");
  await skills.fill("veel");
  await page.getByRole("button", { name: "Instellingen opslaan" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /getal/);
  assert.equal(await skills.inputValue(), "veel", "input kept");
  await skills.fill("40");
  await page.getByRole("button", { name: "Instellingen opslaan" }).click();
  await page.waitForURL((u) => u.searchParams.has("opgeslagen"));
  assert.equal(await page.getByLabel("Beroep en vaardigheden").inputValue(), "40");
  // 40 + the others make 105: the page says the score is scaled to 100.
  assert.match(await page.locator("#weights").innerText(), /samen 105[\s\S]*omgerekend naar 0 tot 100/);
  await shot(page, "11-beheer-instellingen");
  // The municipality's face: a colour too light for white text is refused, a dark one shows.
  await page.goto(`${base}/beheer`);
  await page.getByRole("link", { name: "Uw gemeente op de site" }).click();
  await axe(page, "beheer-gemeente");
  await page.getByLabel("Huiskleur").fill("#ffcc00");
  await page.getByRole("button", { name: "Opslaan" }).click();
  assert.match(await page.locator(".error-summary").innerText(), /te licht/);
  await page.getByLabel("Huiskleur").fill("#7a1f5c");
  await page.getByLabel("Telefoonnummer").fill("0573 289 222");
  // The address is not known yet: the summary names the field.
  assert.match(await page.locator(".error-summary").innerText(), /e-mailadres/);
  await page.getByLabel("E-mailadres").fill("werk@lochem.example");
  await page.getByRole("button", { name: "Opslaan" }).click();
  await page.waitForURL((u) => u.searchParams.has("opgeslagen"));
  assert.match(await page.locator("footer").innerText(), /0573 289 222/);
  const css = await (await page.request.get(await page.locator('link[href^="/huisstijl/"]').getAttribute("href").then((h) => `${base}${h}`))).text();
  assert.match(css, /--accent: #7a1f5c/);
  // Dutch names for the skills people see.
  await page.goto(`${base}/beheer/vaardigheden`);
  await axe(page, "beheer-vaardigheden");
  // The caseload from the client system, as Excel saves it (Windows-1252, ";"): checked first,
  // with the row that cannot be taken named; then read in; the page fits a phone.
  await page.goto(`${base}/beheer`);
  await page.getByRole("link", { name: "Caseload inlezen" }).click();
  await axe(page, "beheer-import");
  const rows = [
    "klantnummer;voornaam;achternaam;geboortedatum;postcode;uitkering;aanmelddatum;klantmanager;trede",
    `B0001;Renée;Browserimport;17-05-1990;7241;geen;03-03-2025;${klantmanager};3`,
    `B0002;Ahmed;Browserimport;1988-01-31;7242 AB;participatiewet;04-03-2025;${klantmanager};2`,
    `B0003;Fout;Browserimport;31-02-1990;7241;geen;04-03-2025;${klantmanager};2`,
  ].join("\r\n");
  const upload = { name: "export.csv", mimeType: "text/csv", buffer: Buffer.from(rows, "latin1") };
  await page.getByLabel("Bestand (CSV of Excel)").setInputFiles(upload);
  await page.getByRole("button", { name: "Bestand versturen" }).click();
  assert.match(await page.locator("#verslag").innerText(), /3 regels gelezen: 2 goed \(2 nieuw, 0 al bekend\), 1 niet over te nemen/);
  assert.match(await page.locator("#verslag tbody").innerText(), /4[\s\S]*geboortedatum[\s\S]*31-02-1990/);
  await axe(page, "beheer-import-verslag");
  await page.getByLabel("Bestand (CSV of Excel)").setInputFiles(upload);
  await page.getByLabel(/Inlezen: sla de goede regels op/).check();
  await page.getByRole("button", { name: "Bestand versturen" }).click();
  assert.match(await page.locator("#verslag").innerText(), /2 aangemaakt, 0 gewijzigd, 0 ongewijzigd/);
  assert.match(await page.locator("#eerder-kop + div tbody").innerText(), /ingelezen[\s\S]*gecontroleerd/);
  for (const width of [320, 390]) {
    await page.setViewportSize({ width, height: 800 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no sideways scrolling at ${width} px`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  // The monitor (Lochem has no SROI contract, and its klantgroepen have targets: four charts).
  await page.getByRole("navigation", { name: "Hoofdmenu" }).getByRole("link", { name: "Monitor" }).click();
  await axe(page, "monitor");
  assert.equal(await page.locator("section.chart").count(), 4);
  assert.equal(await page.locator("#svg-doelen svg[role=img]").count(), 1);
  assert.ok((await page.locator("figure svg[role=img]").count()) >= 1);
  await page.goto(`${base}/beheer/audit?actie=disclose`);
  await axe(page, "logboek");
  assert.match(await page.locator("tbody").innerText(), /naam en contactgegevens aan werkgever/);
  await page.context().close();
}

// ---------------------------------------------------------------- the monitor of Zutphen (with its SROI contract)
{
  const page = await newPage();
  await login(page, "beheerder@zutphen.demo", "/beheer");
  await page.goto(`${base}/monitor`);
  await axe(page, "monitor-zutphen");
  assert.equal(await page.locator("section.chart").count(), 5);
  for (const id of ["ladder", "beweging", "trechter", "doelen", "sroi"]) {
    // Nothing to draw is said in words, not drawn as an empty plot.
    if ((await page.locator(`#leeg-${id}`).count()) === 1) continue;
    const label = await page.locator(`#svg-${id} svg`).getAttribute("aria-label");
    assert.ok(label && label.length > 10, `chart ${id} has a text alternative`);
    assert.ok((await page.locator(`#grafiek-${id}`).locator("xpath=..").locator("table tbody tr").count()) > 0, `chart ${id} has a data table`);
    const box = await page.locator(`#svg-${id} svg`).boundingBox();
    assert.ok(box && box.width > 200 && box.height > 80, `chart ${id} is drawn`);
  }
  // The transition matrix as a heatmap, SROI as progress toward the obligation.
  assert.equal(await page.locator('table.matrix td[class^="heat-"]').count(), 36);
  assert.ok((await page.locator("#plaatsingen, #regelingen").count()) >= 1);
  assert.ok((await page.locator('section[aria-labelledby="regelingen"] svg.bar').count()) >= 1, "SROI progress bars");
  await page.getByLabel("Kwartaal", { exact: true }).selectOption({ index: 1 });
  await page.getByRole("button", { name: "Toon" }).click();
  await page.waitForURL((u) => u.searchParams.has("quarter"));
  await shot(page, "12-monitor");
  await page.context().close();
}

// ---------------------------------------------------------------- without JavaScript
{
  const page = await newPage({ javaScriptEnabled: false });
  await page.goto(`${base}/plekken?q=${encodeURIComponent(occupation)}`);
  assert.match(await page.locator("main").innerText(), /gevonden/);
  await page.goto(`${base}/inloggen`);
  await page.getByLabel("E-mailadres").fill(employer);
  await page.getByLabel("Wachtwoord", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Inloggen" }).click();
  await page.waitForURL((u) => u.pathname === "/werkgever");
  await page.context().close();
}

await browser.close();
if (problems.length) {
  console.error(`axe found ${problems.length} serious or critical violation(s):\n` + problems.join("\n"));
  process.exit(1);
}
console.log(`journeys passed; axe checked ${checked.size} pages; screenshots in ${shots}`);
