/** Katalog polski. */
import { plural } from '../logic/plural.js'
import type { Catalog, Role } from './en.js'

const roleName: Record<Role, string> = {
  moderator: 'Moderator',
  editor: 'Redaktor',
  participant: 'Uczestnik',
  observer: 'Obserwator',
}

const roleInstrumental: Record<Role, string> = {
  moderator: 'moderator',
  editor: 'redaktor',
  participant: 'uczestnik',
  observer: 'obserwator',
}

const pl: Catalog = {
  lang: 'pl',
  languageName: 'Polski',
  language: 'Język',
  appName: 'Draftroom',
  tagline: 'Piszcie jeden tekst razem, na żywo, w jednej sali.',
  skipToMain: 'Przejdź do treści',
  toStart: 'Strona główna Draftroom',

  startHeading: 'Rozpocznij spotkanie',
  startIntro:
    'Zostaniesz moderatorem: piszesz projekt razem z salą, wyświetlasz go na rzutniku i decydujesz, co zostało uzgodnione.',
  titleLabel: 'Nad czym pracuje spotkanie?',
  titleHint: 'Na przykład: Misja Miasta Krakowa',
  yourNameLabel: 'Twoje imię',
  yourNameHint: 'Wszyscy w sali zobaczą je przy Twoich słowach.',
  startButton: 'Rozpocznij spotkanie',
  starting: 'Rozpoczynanie…',
  stepsHeading: 'Jak to działa',
  steps: [
    'Rozpocznij spotkanie i wyświetl ten ekran na rzutniku.',
    'Wyślij link dla uczestników osobom w sali, a link dla obserwatorów tym, którzy śledzą spotkanie zdalnie.',
    'Piszcie treść razem; każdy widzi każdą zmianę w chwili jej wpisywania.',
  ],
  yourMeetings: 'Twoje spotkania na tym urządzeniu',
  asRole: (role: Role) => `jako ${roleInstrumental[role]}`,
  forget: (title: string) => `Zapomnij „${title}” na tym urządzeniu`,

  joinHeading: 'Dołącz do spotkania',
  joinIntro: 'Zaproszono Cię do wspólnego pisania tekstu. Przedstaw się sali.',
  joinTitle: (title: string) => `Dołącz do spotkania „${title}”`,
  joinAs: {
    participant:
      'Dołączasz jako uczestnik: śledzisz projekt na żywo, a moderator może pozwolić Ci go edytować.',
    observer: 'Dołączasz jako obserwator: śledzisz projekt na żywo, tylko do odczytu.',
  },
  joinButton: 'Dołącz',
  joining: 'Dołączanie…',
  noInvite:
    'W tym linku nie ma zaproszenia. Poproś moderatora o ponowne wysłanie linku i otwórz go w całości.',
  alreadyHere: (name: string) => `Na tym urządzeniu już uczestniczysz w tym spotkaniu jako ${name}.`,
  continueAs: (name: string) => `Kontynuuj jako ${name}`,

  required: 'Uzupełnij to pole.',
  tooLong: (max: number) => `Najwyżej ${max} znaków.`,

  phase: { drafting: 'Redagowanie', frozen: 'Zamrożony' },
  youAre: (name: string, role: Role) => `Ty: ${name}, ${roleInstrumental[role]}`,
  roleName,
  roleHelp: {
    moderator: 'Piszesz projekt razem z salą i decydujesz, kto może go edytować.',
    editor: 'Moderator pozwolił Ci edytować projekt bezpośrednio.',
    participant: 'Śledzisz projekt na żywo; moderator może pozwolić Ci go edytować.',
    observer: 'Śledzisz to spotkanie zdalnie; projekt zmienia się na żywo.',
  },

  status: {
    connecting: 'Łączenie…',
    connected: 'Połączono',
    reconnecting: 'Ponowne łączenie…',
    offline: 'Brak sieci',
    closed: 'Rozłączono',
  },
  unsent: (n: number) =>
    plural('pl', n, {
      one: `${n} zmiana czeka na wysłanie`,
      few: `${n} zmiany czekają na wysłanie`,
      many: `${n} zmian czeka na wysłanie`,
      other: `${n} zmiany czeka na wysłanie`,
    }),
  closedBecause: (code: number | undefined) =>
    code === 4404
      ? 'Tego spotkania nie ma na serwerze.'
      : 'Twoje miejsce w tym spotkaniu jest już nieważne. Otwórz ponownie link z zaproszeniem.',

  draftHeading: 'Projekt',
  draftEmptyWriter: 'Projekt jest pusty. Dodaj pierwszy punkt, aby zacząć pisać.',
  draftEmptyReader: 'Nic jeszcze nie napisano. Projekt pojawi się tutaj w trakcie pisania.',
  loadingDraft: 'Wczytywanie projektu…',
  clauseLabel: (n: number, of: number) => `Punkt ${n} z ${of}`,
  clauseNumber: (n: number) => `${n}.`,
  readOnly: 'tylko do odczytu',
  addClause: 'Dodaj punkt',
  addClauseAfter: (n: number) => `Dodaj punkt po punkcie ${n}`,
  moveUp: (n: number) => `Przesuń punkt ${n} w górę`,
  moveDown: (n: number) => `Przesuń punkt ${n} w dół`,
  remove: (n: number) => `Usuń punkt ${n}`,
  confirmRemove: (n: number, excerpt: string) => `Usunąć punkt ${n} z projektu?\n\n„${excerpt}”`,
  undo: 'Cofnij moją ostatnią zmianę',
  undoShort: 'Cofnij',
  redo: 'Ponów',
  frozenNotice: 'Projekt jest zamrożony: to uzgodniona wersja i nie przyjmuje zmian.',

  showAuthors: 'Pokaż, kto co napisał',
  authorsHeading: 'Autorzy',
  writtenBy: (name: string) => `Autor: ${name}`,
  unknownAuthor: 'ktoś, kogo nie ma już w sali',

  peopleHeading: 'W sali',
  peopleCount: (n: number) =>
    plural('pl', n, { one: `${n} osoba`, few: `${n} osoby`, many: `${n} osób`, other: `${n} osoby` }),
  online: 'połączony',
  away: 'niepołączony',
  you: 'Ty',
  letEdit: 'Pozwól edytować',
  letEditLabel: (name: string) => `Pozwól osobie ${name} edytować projekt`,
  granted: (name: string) => `${name} może teraz edytować projekt.`,
  following: (n: number) =>
    plural('pl', n, {
      one: `${n} osoba obserwuje zdalnie`,
      few: `${n} osoby obserwują zdalnie`,
      many: `${n} osób obserwuje zdalnie`,
      other: `${n} osoby obserwują zdalnie`,
    }),

  invitesHeading: 'Zaproś uczestników',
  inviteParticipants: 'Uczestnicy w sali (laptopy i telefony)',
  inviteObservers: 'Obserwatorzy zdalni (tylko odczyt)',
  copy: 'Kopiuj',
  copyLabel: (what: string) => `Kopiuj link: ${what}`,
  copied: 'Skopiowano',
  newLinks: 'Utwórz nowe linki',
  newLinksHelp:
    'Linki utworzono na innym urządzeniu. Nowe linki zastąpią stare; osoby, które już dołączyły, zachowają swoje miejsca.',

  refusal: {
    'storage unavailable':
      'Serwer nie może teraz zapisać zmian. Twoje zmiany zostają na tym urządzeniu i zostaną wysłane, gdy tylko będzie to możliwe.',
    frozen: 'Projekt został zamrożony, zanim Twoja zmiana dotarła do serwera.',
    role: 'Twoja rola nie pozwala tego zmieniać.',
    server_only: 'Tę część spotkania zapisuje tylko serwer.',
    not_author: 'Tę poprawkę pisze tylko jej autor.',
    decided: 'O tej poprawce już zdecydowano i nie można jej zmieniać.',
    foreign_client: 'Zmiana odrzucona: pochodziła z sesji edycji innej osoby.',
    refused_client: 'Wcześniejsza zmiana z tego okna została odrzucona.',
    missing_dependencies: 'Twoja zmiana opierała się na zmianach, których serwer nie ma.',
    stage: 'Na tym etapie spotkania projekt nie przyjmuje zmian.',
    unknown: 'Serwer odrzucił Twoją zmianę.',
  },
  reloaded: 'Twoja kopia została wczytana ponownie z serwera, więc widzisz to samo co wszyscy.',
  dismiss: 'Zamknij',

  cancel: 'Anuluj',
  close: 'Zamknij',
  copyFailed: 'Nie udało się skopiować; zaznacz tekst i skopiuj go ręcznie.',

  propose: 'Zaproponuj brzmienie',
  proposeLabel: (n: number) => `Zaproponuj brzmienie punktu ${n}`,
  proposalOpened: 'Twoja propozycja jest otwarta: wpisz proponowane brzmienie.',
  yourAmendment: 'Twoja propozycja',
  amendmentBy: (name: string) => `Propozycja: ${name}`,
  yourAmendmentFor: (n: number) => `Twoja propozycja do punktu ${n}`,
  amendmentFor: (name: string, n: number) => `Propozycja do punktu ${n}, autor: ${name}`,
  yourWording: (n: number) => `Twoje brzmienie punktu ${n}`,
  supporters: (n: number) =>
    plural('pl', n, {
      one: `popiera ${n} osoba`,
      few: `popierają ${n} osoby`,
      many: `popiera ${n} osób`,
      other: `popiera ${n} osoby`,
    }),
  support: 'Popieram',
  supportLabel: (name: string) => `Poprzyj propozycję: ${name}`,
  supported: 'Popierasz',
  supportedLabel: (name: string) => `Popierasz propozycję: ${name}`,
  supportedAnnounce: 'Popierasz tę propozycję.',
  accept: 'Przyjmij',
  reject: 'Odrzuć',
  acceptLabel: (name: string, n: number) => `Przyjmij do punktu ${n} propozycję: ${name}`,
  rejectLabel: (name: string, n: number) => `Odrzuć propozycję do punktu ${n}: ${name}`,
  acceptedAnnounce: (n: number) => `Punkt ${n} ma teraz proponowane brzmienie.`,
  rejectedAnnounce: (n: number) => `Propozycja do punktu ${n} została odrzucona.`,
  clauseNow: 'Punkt teraz',
  proposed: 'Propozycja',
  whenOpened: 'Gdy złożono propozycję',
  diffRemoved: 'usunięto: ',
  diffAdded: 'dodano: ',
  diffLegend: 'Przekreślone: usunięte. Podkreślone: dodane.',
  clauseChangedNote: 'Od złożenia tej propozycji punkt się zmienił.',
  clauseChangedTitle: 'Punkt zmienił się po złożeniu propozycji',
  clauseChangedIntro:
    'Przyjęcie zastąpi obecne brzmienie punktu propozycją, więc to, co dopisano w międzyczasie, zniknie. Najpierw porównaj trzy teksty.',
  acceptAnyway: 'Przyjmij i zastąp',
  decidedCount: (n: number) =>
    plural('pl', n, {
      one: `${n} rozstrzygnięta propozycja`,
      few: `${n} rozstrzygnięte propozycje`,
      many: `${n} rozstrzygniętych propozycji`,
      other: `${n} rozstrzygniętej propozycji`,
    }),
  amendmentStatus: { open: 'Otwarta', accepted: 'Przyjęta', rejected: 'Odrzucona' } as Record<string, string>,

  freeze: 'Zatwierdź uzgodnioną wersję',
  freezeTitle: (n: number) => `Zatwierdzić ten tekst jako uzgodnioną wersję ${n}?`,
  freezeIntro:
    'Po zatwierdzeniu nikt nie zmieni projektu; możesz go otworzyć na kolejną rundę, a ta wersja pozostanie bez zmian.',
  openAmendmentsWarn: (n: number) =>
    plural('pl', n, {
      one: `${n} propozycja jest wciąż otwarta. Pozostanie otwarta i można ją rozstrzygnąć po ponownym otwarciu.`,
      few: `${n} propozycje są wciąż otwarte. Pozostaną otwarte i można je rozstrzygnąć po ponownym otwarciu.`,
      many: `${n} propozycji jest wciąż otwartych. Pozostaną otwarte i można je rozstrzygnąć po ponownym otwarciu.`,
      other: `${n} propozycji jest wciąż otwartych.`,
    }),
  noOpenAmendments: 'Nie ma otwartych propozycji.',
  textToFreeze: 'Tekst',
  freezeConfirm: 'Zatwierdź',
  frozenAnnounce: (n: number) => `Projekt zatwierdzono jako uzgodnioną wersję ${n}.`,
  reopen: 'Otwórz na kolejną rundę',
  reopenTitle: 'Otworzyć projekt ponownie?',
  reopenIntro: 'Uzgodniona wersja pozostaje zapisana bez zmian; projekt znów można edytować w kolejnej rundzie.',
  reopenConfirm: 'Otwórz',
  reopenedAnnounce: 'Projekt znów można zmieniać.',
  agreedVersion: (n: number) => `Uzgodniona wersja ${n}`,
  lastAgreed: (n: number) => `Ostatnia uzgodniona wersja: ${n}`,
  copyHash: 'Kopiuj SHA-256',
  copyHashLabel: (n: number) => `Kopiuj pełny skrót SHA-256 wersji ${n}`,
  hashCopied: 'Skopiowano skrót SHA-256.',

  recordsLabel: 'Zapis spotkania',
  historyLink: 'Wersje i historia',
  reportLink: 'Sprawozdanie ze spotkania',
  backToMeeting: 'Wróć do spotkania',
  historyHeading: 'Wersje i historia',
  versionsHeading: 'Uzgodnione wersje',
  noVersions: 'Nie uzgodniono jeszcze żadnej wersji. Moderator zatwierdza projekt, gdy sala się zgodzi.',
  versionCol: 'Wersja',
  frozenAtCol: 'Uzgodniona',
  frozenByCol: 'Zatwierdził(a)',
  viewVersion: 'Pokaż',
  viewVersionLabel: (n: number) => `Pokaż wersję ${n}`,
  versionN: (n: number) => `Wersja ${n}`,
  frozenByAt: (name: string, at: string) => `Zatwierdził(a): ${name}, ${at}.`,
  writtenByList: (list: string) => `Autorzy: ${list} (znaki)`,
  clauseChanges: (n: number) => `Zmiany w punkcie ${n}`,
  noChanges: 'Brak zapisanych zmian.',
  insertedN: (n: number) =>
    plural('pl', n, { one: `dodano ${n} znak`, few: `dodano ${n} znaki`, many: `dodano ${n} znaków`, other: `dodano ${n} znaku` }),
  deletedN: (n: number) =>
    plural('pl', n, { one: `usunięto ${n} znak`, few: `usunięto ${n} znaki`, many: `usunięto ${n} znaków`, other: `usunięto ${n} znaku` }),
  movedFromTo: (from: number, to: number) => `przeniesiono z miejsca ${from} na ${to}`,
  viaAmendment: (by: string) => (by ? `propozycja przyjęta przez: ${by}` : 'przyjęta propozycja'),
  compareHeading: 'Porównaj dwie wersje',
  compareFrom: 'Od',
  compareTo: 'Do',
  compareButton: 'Porównaj',
  diffBetween: (a: number, b: number) => `Od wersji ${a} do wersji ${b}`,
  loadingReport: 'Wczytywanie sprawozdania…',
  print: 'Drukuj',

  openProjector: 'Otwórz widok dla rzutnika',
  projectorName: 'Rzutnik',
  projectorNeedsLinks: 'Najpierw utwórz linki zaproszeń: widok rzutnika pokazuje link dla uczestników.',
  projectorNoSeat: 'Otwórz widok rzutnika z ekranu moderatora.',
  joinFromPhone: 'Dołącz z telefonu',
  inRoomNow: (n: number) =>
    plural('pl', n, { one: `${n} osoba na sali`, few: `${n} osoby na sali`, many: `${n} osób na sali`, other: `${n} osoby na sali` }),
  qrLabel: (what: string) => `Kod QR linku: ${what}`,
  orType: 'lub wpisz',
  rotate: 'Wymień link',
  rotateLabel: (what: string) => `Wymień link: ${what}`,
  rotateTitle: (what: string) => `Wymienić link: ${what}?`,
  rotateIntro:
    'Stary link przestanie działać od razu, dla każdego, kto go ma. Osoby, które już dołączyły, zachowują swoje miejsca. Potem udostępnij nowy link.',
  rotateConfirm: 'Wymień link',
  rotated: 'Nowy link zastąpił stary.',

  codeHeading: 'Dołącz kodem',
  codeLabel: 'Kod z ekranu na sali',
  codeHint: 'Na przykład: K7Q-FM2-XD9',
  codeButton: 'Dalej',

  noSeatTitle: 'Na tym urządzeniu nie uczestniczysz w tym spotkaniu',
  noSeat:
    'To urządzenie nie ma miejsca w tym spotkaniu. Otwórz otrzymany link z zaproszeniem, aby dołączyć.',
  notFoundTitle: 'Nie ma takiej strony',
  notFound: 'Pod tym adresem nic nie ma.',
  goHome: 'Przejdź do strony głównej',

  error: {
    bad_request: 'Serwer nie mógł tego przyjąć.',
    unauthorized:
      'To zaproszenie lub miejsce jest już nieważne. Poproś moderatora o nowy link.',
    forbidden: 'Twoja rola na to nie pozwala.',
    clause_changed: 'Punkt tymczasem się zmienił; przejrzyj go ponownie przed przyjęciem.',
    not_found: 'Takie spotkanie nie istnieje.',
    conflict: 'To kłóci się z obecnym stanem spotkania.',
    too_large: 'To jest za długie.',
    too_many_requests: 'Za dużo prób z tej sieci. Odczekaj minutę i spróbuj ponownie.',
    internal: 'Błąd serwera. Niczego nie zmieniono; spróbuj ponownie.',
    unavailable: 'Serwer nie może teraz niczego zapisać. Spróbuj za chwilę.',
    network: 'Nie można połączyć się z serwerem. Sprawdź połączenie i spróbuj ponownie.',
  },

  // --- The later steps of the workshop (issue 12): the common ground beside
  // the draft, signals on clauses, the whole-text check, consent and freeze,
  // and their projector views. Kept together for merging.
  groundHeading: 'Elementy wspólne',
  groundIntro: 'To, co łączy wszystkie grupy robocze. Każdy element powinien znaleźć się w którymś punkcie.',
  groundCoverage: (carried: number, total: number) => `${carried} z ${total} w tekście`,
  groundValue: 'wartość',
  groundIn: (clauses: number[]) =>
    clauses.length === 1 ? `W punkcie ${clauses[0]}` : `W punktach ${clauses.join(', ')}`,
  groundMissing: 'Jeszcze go nie ma w tekście',
  groundSources: (list: string) => `z propozycji ${list}`,
  groundPull: 'Dodaj jako punkt',
  groundPullLabel: (text: string) => `Dodaj do projektu nowy punkt: „${text}”`,
  groundPulled: (n: number) => `Punkt ${n} zaczyna się teraz od tego elementu.`,
  clauseCarries: 'Zawiera',
  clauseCarriesNothing: 'Nie powiązano jeszcze żadnego elementu wspólnego',
  linkButton: 'Elementy',
  linkButtonLabel: (n: number) => `Powiąż elementy wspólne z punktem ${n}`,
  linkTitle: (n: number) => `Co zawiera punkt ${n}?`,
  linkIntro:
    'Zaznacz elementy wspólne, które zawiera ten punkt. Element, którego nie zawiera żaden punkt, pozostaje oznaczony obok projektu.',
  linkSave: 'Zapisz',
  linkSaved: (n: number) => `Zapisano elementy punktu ${n}.`,

  stanceButton: { agree: 'Zgadzam się', abstain: 'Wstrzymuję się', disagree: 'Nie zgadzam się', block: 'Blokuję' } as Record<string, string>,
  stanceNoun: { agree: 'zgoda', abstain: 'wstrzymanie się', disagree: 'niezgoda', block: 'blokada' } as Record<string, string>,
  stanceTally: { agree: 'Zgoda', abstain: 'Wstrzymanie się', disagree: 'Niezgoda', block: 'Blokada' } as Record<string, string>,
  blocksPinned: (n: number) =>
    plural('pl', n, { one: `${n} blokada`, few: `${n} blokady`, many: `${n} blokad`, other: `${n} blokady` }),
  blockOnClause: (n: number) => `Punkt ${n}`,
  blockOnClauseLabel: (n: number) => `Przejdź do punktu ${n}`,
  checkModeClosed: 'zakończone, odpowiedzi jawne',
  stanceIcon: { agree: '✓', abstain: '○', disagree: '✗', block: '⊘' } as Record<string, string>,
  signalGroup: (n: number) => `Twój sygnał do punktu ${n}`,
  signalLegend: 'Twój sygnał do tego brzmienia',
  signalPrompt: 'Jakie jest Twoje stanowisko wobec tego brzmienia?',
  yourSignal: (noun: string) => `Twój sygnał: ${noun}`,
  yourSignalLapsed: (noun: string) => `Twój sygnał (${noun}) wygasł: brzmienie się zmieniło. Daj sygnał ponownie.`,
  recordedByModerator: 'zapisany przez moderatora',
  tallyLabel: (n: number) => `Sygnały do punktu ${n}`,
  tallyNone: 'Brak sygnałów do tego brzmienia',
  lapsedCount: (n: number) =>
    plural('pl', n, {
      one: `${n} sygnał wygasł wraz z wcześniejszym brzmieniem`,
      few: `${n} sygnały wygasły wraz z wcześniejszym brzmieniem`,
      many: `${n} sygnałów wygasło wraz z wcześniejszym brzmieniem`,
      other: `${n} sygnału wygasło wraz z wcześniejszym brzmieniem`,
    }),
  blocksHeading: 'Blokady',
  blockBy: (name: string) => `${name} blokuje`,
  disagreeCount: (n: number) =>
    plural('pl', n, {
      one: `${n} osoba nie zgadza się: dlaczego`,
      few: `${n} osoby nie zgadzają się: dlaczego`,
      many: `${n} osób nie zgadza się: dlaczego`,
      other: `${n} osoby nie zgadzają się: dlaczego`,
    }),
  recordSignal: 'Zapisz czyjś sygnał…',
  recordSignalLabel: (n: number) => `Zapisz sygnał do punktu ${n} w imieniu osoby z sali`,
  recordSignalTitle: (n: number) => `Sygnał do punktu ${n} w czyimś imieniu`,
  recordSignalIntro: 'Dla osoby z sali bez urządzenia albo na jej prośbę. W zapisie widać, że wprowadził go moderator.',
  whoLabel: 'Kto',
  choosePerson: 'Wybierz osobę',
  personNow: (name: string, noun: string | null) => (noun ? `${name} (teraz: ${noun})` : name),
  stanceLegend: 'Sygnał tej osoby',
  answerLegend: 'Odpowiedź tej osoby',
  addPersonLegend: 'Osoba bez urządzenia',
  addPersonName: 'Imię i nazwisko',
  addPersonButton: 'Dodaj do sali',
  personAdded: (name: string) => `${name} jest teraz na sali.`,
  choosePersonFirst: 'Wybierz osobę.',
  chooseStanceFirst: 'Wybierz sygnał.',
  reasonLabel: 'Uzasadnienie',
  reasonRequired: 'Napisz uzasadnienie: niezgoda i blokada wymagają podania powodu.',
  reasonHint: {
    disagree: 'Sala zobaczy je z Twoim imieniem. Niezgoda nie wstrzymuje uzgodnienia tekstu.',
    block: 'Blokada wstrzymuje uzgodnienie tekstu, dopóki obowiązuje. Napisz, co musiałoby się zmienić.',
  } as Record<string, string>,
  reasonTitle: {
    disagree: (n: number) => `Dlaczego nie zgadzasz się z punktem ${n}?`,
    block: (n: number) => `Dlaczego blokujesz punkt ${n}?`,
  },
  answerReasonTitle: {
    disagree: 'Dlaczego nie zgadzasz się z tekstem?',
    block: 'Dlaczego blokujesz tekst?',
  } as Record<string, string>,
  theWording: 'Brzmienie',
  send: 'Wyślij',
  signalSent: (n: number, noun: string) => `Twój sygnał do punktu ${n}: ${noun}.`,
  signalRecorded: (name: string, n: number, noun: string) => `${name}: ${noun} (punkt ${n}).`,
  wordingChangedTitle: (n: number) => `Punkt ${n} zmienił się w międzyczasie`,
  wordingChangedIntro: 'Ktoś w tym czasie zmienił tekst, więc sygnał nie został zapisany. Tak punkt brzmi teraz:',
  signalAgain: (noun: string) => `Wyślij „${noun}” do tego brzmienia`,

  checkOpen: 'Sprawdź zgodę na cały tekst…',
  checkOpenTitle: 'Rozpocząć sprawdzenie zgody na cały tekst?',
  checkOpenIntro:
    'Projekt zostanie zablokowany na czas odpowiedzi. Każdy odpowiada raz: zgoda, wstrzymanie się, niezgoda lub blokada; niezgoda i blokada wymagają uzasadnienia.',
  checkResultsLegend: 'Wyniki w trakcie sprawdzania',
  checkHidden: 'Ukryte do zamknięcia: nikt nie widzi odpowiedzi poza blokadami, które są imienne',
  checkLive: 'Na żywo: wszyscy widzą, jak rośnie wynik',
  checkOpenConfirm: 'Rozpocznij sprawdzenie',
  checkOpenedAnnounce: (n: number) => `Trwa sprawdzenie zgody nr ${n}. Projekt jest zablokowany.`,
  checkHeading: (n: number) => `Sprawdzenie zgody nr ${n} na cały tekst`,
  checkModeHidden: 'odpowiedzi ukryte do zamknięcia',
  checkModeLive: 'wyniki na żywo',
  checkLocked: 'Projekt jest zablokowany, dopóki sala odpowiada.',
  checkClosedAt:
    'Zakończone. Projekt pozostaje zablokowany, dopóki moderator nie wróci do poprawek albo go nie zatwierdzi.',
  answeredOf: (answered: number, of: number) => `Odpowiedzi: ${answered} z ${of}`,
  checkPrompt: 'Czy zgadzasz się na ten tekst?',
  checkPromptHelp: 'Odpowiadasz raz. Przy niezgodzie lub blokadzie podajesz powód.',
  checkPromptOwn: 'Twoja własna odpowiedź',
  youAnswered: (noun: string | null) => (noun ? `Twoja odpowiedź: ${noun}` : 'Twoja odpowiedź została zapisana.'),
  youAnsweredHidden: 'Nikt inny jej nie widzi do zakończenia sprawdzenia (blokada jest widoczna z imieniem).',
  answerSent: 'Twoja odpowiedź została zapisana.',
  hiddenNote: 'Odpowiedzi pozostają ukryte, dopóki moderator nie zakończy sprawdzenia. Widać tylko blokady, z imionami.',
  notAnsweredYet: (n: number) =>
    plural('pl', n, {
      one: `${n} osoba jeszcze nie odpowiedziała`,
      few: `${n} osoby jeszcze nie odpowiedziały`,
      many: `${n} osób jeszcze nie odpowiedziało`,
      other: `${n} osoby jeszcze nie odpowiedziały`,
    }),
  recordAnswer: 'Zapisz czyjąś odpowiedź…',
  recordAnswerTitle: (n: number) => `Odpowiedź w sprawdzeniu nr ${n} w czyimś imieniu`,
  recordAnswerIntro: 'Dla osoby z sali bez urządzenia. Każdy odpowiada raz.',
  answerRecorded: (name: string) => `Zapisano odpowiedź: ${name}.`,
  closeCheck: 'Zakończ sprawdzenie',
  closeCheckTitle: (n: number) => `Zakończyć sprawdzenie zgody nr ${n}?`,
  closeCheckIntro: (answered: number, of: number) =>
    `Odpowiedzi: ${answered} z ${of}. Po zakończeniu nikt już nie odpowie, a wszystkie odpowiedzi zostaną pokazane.`,
  closeCheckConfirm: 'Zakończ i pokaż wyniki',
  checkClosedAnnounce: (n: number) => `Sprawdzenie nr ${n} zakończone; wyniki są widoczne.`,
  answersHeading: 'Odpowiedzi',
  backToAmend: 'Wróć do poprawek',
  backToAmendAnnounce: 'Projekt znów przyjmuje poprawki.',

  consentSays: (kind: string, check: number, blocks: number): string =>
    kind === 'given'
      ? `Sala zgadza się na ten tekst (sprawdzenie nr ${check}, bez blokad).`
      : kind === 'still_open'
        ? `Sprawdzenie nr ${check} wciąż trwa.`
        : kind === 'outdated'
          ? `Tekst zmienił się po sprawdzeniu nr ${check}: w obecnym brzmieniu nie był sprawdzany.`
          : kind === 'blocked'
            ? plural('pl', blocks, {
                one: `W sprawdzeniu nr ${check} pozostała ${blocks} blokada.`,
                few: `W sprawdzeniu nr ${check} pozostały ${blocks} blokady.`,
                many: `W sprawdzeniu nr ${check} pozostało ${blocks} blokad.`,
                other: `W sprawdzeniu nr ${check} pozostały ${blocks} blokady.`,
              })
            : 'Nie było jeszcze sprawdzenia zgody na ten tekst.',
  freezeWithConsent: 'Zatwierdź: sala się zgadza',
  freezeWithoutConsent: 'Zatwierdź bez zgody sali…',
  freezeReasonTitle: (n: number) => `Zatwierdzić wersję ${n} bez zgody sali?`,
  freezeReasonIntro: 'Sala nie wyraziła zgody na ten tekst w obecnym brzmieniu:',
  freezeReasonLabel: 'Pisemne uzasadnienie zatwierdzenia teraz',
  freezeReasonHint: 'Zostanie zapisane przy wersji i w sprawozdaniu ze spotkania, do wglądu dla wszystkich.',
  freezeReasonRequired: 'Napisz, dlaczego zatwierdzasz teraz: uzasadnienie zostanie zapisane przy wersji.',
  freezeReasonConfirm: 'Zatwierdź z tym uzasadnieniem',
  frozenWithReason: 'Zatwierdzono bez zgody sali. Uzasadnienie:',

  projectorAnswered: (answered: number, of: number) => `${answered} z ${of}`,
  projectorAnsweredLabel: 'Odpowiedzi',
  projectorHidden: 'Odpowiedzi pozostają ukryte do zakończenia sprawdzenia.',
  projectorConsents: 'Sala zgadza się na ten tekst.',
  projectorReport: 'Zapis spotkania',
  projectorReportHint: 'Zeskanuj, aby otworzyć sprawozdanie (na urządzeniu uczestnika spotkania)',
  projectorHashLabel: 'SHA-256 uzgodnionego tekstu',
}

export default pl
