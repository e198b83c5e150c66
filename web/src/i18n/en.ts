/** The English catalog; its shape is the type every catalog must have. */
import { plural } from '../logic/plural.js'

export type Role = 'moderator' | 'editor' | 'participant' | 'observer'

const en = {
  lang: 'en',
  languageName: 'English',
  language: 'Language',
  appName: 'Draftroom',
  tagline: 'Write one text together, live, in the room.',
  skipToMain: 'Skip to the main content',
  toStart: 'Draftroom home',

  startHeading: 'Start a meeting',
  startIntro:
    'You become the moderator: you write the draft with the room, project it, and decide what is agreed.',
  titleLabel: 'What is the meeting drafting?',
  titleHint: 'For example: Mission of the City of Kraków',
  yourNameLabel: 'Your name',
  yourNameHint: 'Everyone in the room sees it beside your words.',
  startButton: 'Start the meeting',
  starting: 'Starting…',
  stepsHeading: 'How it works',
  steps: [
    'Start the meeting and put this screen on the projector.',
    'Share the participant link with the room and the observer link with those following remotely.',
    'Write the wording together; everyone sees every change as it is typed.',
  ],
  yourMeetings: 'Your meetings on this device',
  asRole: (role: Role) => `as ${roleName[role].toLowerCase()}`,
  forget: (title: string) => `Forget “${title}” on this device`,

  joinHeading: 'Join the meeting',
  joinIntro: 'You have been invited to draft a text together. Tell the room who you are.',
  joinTitle: (title: string) => `Join “${title}”`,
  joinAs: {
    participant: 'You join as a participant: you follow the draft live, and the moderator can let you edit it.',
    observer: 'You join as an observer: you follow the draft live, read-only.',
  } as Record<string, string>,
  joinButton: 'Join',
  joining: 'Joining…',
  noInvite:
    'This link has no invite in it. Ask the moderator to send the link again, and open it whole.',
  alreadyHere: (name: string) => `On this device you are already in this meeting as ${name}.`,
  continueAs: (name: string) => `Continue as ${name}`,

  required: 'Please fill this in.',
  tooLong: (max: number) => `At most ${max} characters.`,

  phase: { drafting: 'Drafting', frozen: 'Frozen' } as Record<string, string>,
  youAre: (name: string, role: Role) => `You: ${name}, ${roleName[role].toLowerCase()}`,
  roleName: {} as Record<Role, string>,
  roleHelp: {
    moderator: 'You write the draft with the room and decide who may edit.',
    editor: 'The moderator let you edit the draft directly.',
    participant: 'You follow the draft live; the moderator can let you edit it.',
    observer: 'You are following this meeting remotely; the draft updates live.',
  } as Record<Role, string>,

  status: {
    connecting: 'Connecting…',
    connected: 'Connected',
    reconnecting: 'Reconnecting…',
    offline: 'Offline',
    closed: 'Disconnected',
  } as Record<string, string>,
  unsent: (n: number) =>
    plural('en', n, { one: `${n} change not sent yet`, other: `${n} changes not sent yet` }),
  closedBecause: (code: number | undefined): string =>
    code === 4404
      ? 'This meeting does not exist on the server.'
      : 'Your seat in this meeting is no longer valid. Open your invite link again.',

  draftHeading: 'Draft',
  draftEmptyWriter: 'The draft is empty. Add the first clause to start writing.',
  draftEmptyReader: 'Nothing has been written yet. The draft appears here as it is typed.',
  loadingDraft: 'Loading the draft…',
  clauseLabel: (n: number, of: number) => `Clause ${n} of ${of}`,
  clauseNumber: (n: number) => `${n}.`,
  readOnly: 'read-only',
  addClause: 'Add a clause',
  addClauseAfter: (n: number) => `Add a clause after clause ${n}`,
  moveUp: (n: number) => `Move clause ${n} up`,
  moveDown: (n: number) => `Move clause ${n} down`,
  remove: (n: number) => `Remove clause ${n}`,
  confirmRemove: (n: number, excerpt: string) =>
    `Remove clause ${n} from the draft?\n\n“${excerpt}”`,
  undo: 'Undo my last change',
  undoShort: 'Undo',
  redo: 'Redo',
  frozenNotice: 'The draft is frozen: it is the agreed version and takes no changes.',

  showAuthors: 'Show who wrote what',
  authorsHeading: 'Authors',
  writtenBy: (name: string) => `Written by ${name}`,
  unknownAuthor: 'someone no longer in the room',

  peopleHeading: 'In the room',
  peopleCount: (n: number) => plural('en', n, { one: `${n} person`, other: `${n} people` }),
  online: 'connected',
  away: 'not connected',
  you: 'you',
  letEdit: 'Let edit',
  letEditLabel: (name: string) => `Let ${name} edit the draft`,
  granted: (name: string) => `${name} can now edit the draft.`,
  following: (n: number) =>
    plural('en', n, {
      one: `${n} person is following remotely`,
      other: `${n} people are following remotely`,
    }),

  invitesHeading: 'Invite people',
  inviteParticipants: 'Participants in the room (laptops and phones)',
  inviteObservers: 'Remote observers (read-only)',
  copy: 'Copy',
  copyLabel: (what: string) => `Copy the link: ${what}`,
  copied: 'Copied',
  newLinks: 'Make new links',
  newLinksHelp:
    'The links were made on another device. New links replace the old ones; people already in keep their seats.',

  refusal: {
    'storage unavailable':
      'The server cannot save changes right now. Your changes stay on this device and are sent as soon as it can.',
    frozen: 'The draft was frozen before your change reached the server.',
    role: 'Your role may not change this.',
    server_only: 'Only the server writes this part of the meeting.',
    not_author: 'Only its author writes this amendment.',
    decided: 'This amendment has been decided and no longer changes.',
    foreign_client: 'Your change was refused: it came from an editing session of someone else.',
    refused_client: 'An earlier change of this window was refused.',
    missing_dependencies: 'Your change built on changes the server does not have.',
    unknown: 'The server refused your change.',
  } as Record<string, string>,
  reloaded: 'Your copy was reloaded from the server, so what you see is what everyone sees.',
  dismiss: 'Dismiss',

  noSeatTitle: 'You are not in this meeting on this device',
  noSeat: 'This device has no seat in this meeting. Open the invite link you were sent to join.',
  notFoundTitle: 'Page not found',
  notFound: 'There is nothing at this address.',
  goHome: 'Go to the start page',

  error: {
    bad_request: 'The server could not accept that.',
    unauthorized: 'This invite or seat is not valid any more. Ask the moderator for a new link.',
    forbidden: 'Your role may not do that.',
    not_found: 'This meeting does not exist.',
    conflict: 'That conflicts with the meeting as it is now.',
    too_large: 'That is too long.',
    too_many_requests: 'Too many attempts from this network. Wait a minute and try again.',
    internal: 'The server failed. Nothing was changed; try again.',
    unavailable: 'The server cannot store anything right now. Try again shortly.',
    network: 'The server cannot be reached. Check the connection and try again.',
  } as Record<string, string>,
}

const roleName: Record<Role, string> = {
  moderator: 'Moderator',
  editor: 'Editor',
  participant: 'Participant',
  observer: 'Observer',
}
en.roleName = roleName

export type Catalog = typeof en
export default en
