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
    unknown: 'Serwer odrzucił Twoją zmianę.',
  },
  reloaded: 'Twoja kopia została wczytana ponownie z serwera, więc widzisz to samo co wszyscy.',
  dismiss: 'Zamknij',

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
    not_found: 'Takie spotkanie nie istnieje.',
    conflict: 'To kłóci się z obecnym stanem spotkania.',
    too_large: 'To jest za długie.',
    too_many_requests: 'Za dużo prób z tej sieci. Odczekaj minutę i spróbuj ponownie.',
    internal: 'Błąd serwera. Niczego nie zmieniono; spróbuj ponownie.',
    unavailable: 'Serwer nie może teraz niczego zapisać. Spróbuj za chwilę.',
    network: 'Nie można połączyć się z serwerem. Sprawdź połączenie i spróbuj ponownie.',
  },
}

export default pl
