// Korean messages. Typed as `Catalog`, so a key missing from or added beyond en.ts is a
// compile error.

import type { Catalog } from "./catalog";

export const ko: Catalog = {
  "app.title": "Bucketdesk",
  "app.starting": "시작하는 중…",

  "language.label": "언어",
  "language.ko": "한국어",
  "language.en": "English",

  "nav.label": "메뉴",
  "nav.sources": "소스",
  "nav.iam": "IAM",
  "nav.buckets": "버킷",
  "nav.settings": "설정",

  "sources.title": "소스",
  "sources.loading": "소스 목록을 불러오는 중…",
  "sources.loadFailed": "소스 목록을 불러오지 못했습니다.",
  "sources.retry": "다시 시도",
  "sources.empty": "아직 등록된 소스가 없습니다.",
  "sources.addComing": "소스 추가는 설정 마법사와 함께 제공될 예정입니다.",
  "sources.column.name": "이름",
  "sources.column.bucket": "버킷",
  "sources.column.region": "리전",
  "sources.column.basePath": "BasePath",
  "sources.column.keyId": "키 ID",

  "iam.title": "IAM",
  "iam.coming": "IAM 사용자, 정책, 그룹, 액세스 키 관리는 이후 버전에서 이 화면에 추가됩니다.",

  "buckets.title": "버킷",
  "buckets.coming": "버킷 생성, 공개 설정, 비우기, 삭제 기능은 이후 버전에서 이 화면에 추가됩니다.",

  "settings.title": "설정",
  "settings.theme": "테마",
  "settings.theme.system": "시스템 설정 따르기",
  "settings.theme.light": "밝게",
  "settings.theme.dark": "어둡게",
  "settings.appliesNow": "언어와 테마는 바꾸는 즉시 저장됩니다.",
  "settings.cdnPort": "로컬 CDN 포트",
  "settings.cdnPort.hint": "127.0.0.1에서 동작하는 이미지 미리보기 서버의 포트입니다.",
  "settings.cacheMb": "캐시 크기(MB)",
  "settings.cacheMb.hint": "로컬 CDN이 변환한 이미지를 저장하는 데 쓸 수 있는 디스크 용량입니다.",
  "settings.adminProfile": "관리자 AWS 프로필",
  "settings.adminProfile.hint": "IAM과 버킷 관리에 사용할 ~/.aws의 프로필입니다. 비워 두면 기본 자격 증명 체인을 사용합니다.",
  "settings.save": "저장",
  "settings.saving": "저장하는 중…",
  "settings.saved": "설정을 저장했습니다.",
  "settings.invalidPort": "포트는 1024부터 65535 사이의 정수로 입력해 주세요.",
  "settings.invalidCache": "캐시 크기는 16부터 1,048,576(1TB) 사이의 정수(MB)로 입력해 주세요.",
  "settings.invalidProfile": "프로필 이름에는 공백을 넣을 수 없으며, 128자까지 입력할 수 있습니다.",
  "settings.about": "정보",
  "settings.configDir": "설정 폴더",
  "settings.version": "버전",

  "sandbox.title": "샌드박스",
  "sandbox.ready": "로컬 테스트 엔드포인트 {endpoint}에 연결되어 있습니다(버킷 {bucket}, 객체 {objects}개, 관리자 프로필 {profile}). 여기서 하는 작업은 AWS에 전혀 닿지 않으며, 샌드박스는 앱을 시작할 때마다 초기화됩니다.",
  "sandbox.starting": "로컬 샌드박스를 시작하는 중입니다…",
  "sandbox.failed": "로컬 샌드박스를 시작하지 못했습니다: {message}",

  "config.title": "설정 파일을 읽을 수 없습니다",
  "config.explain": "이 파일을 다른 이름으로 옮겨 보관한 뒤, 기본 설정으로 새로 시작할 수 있습니다.",
  "config.setAside": "파일을 옮겨 두고 새로 시작",
  "config.settingAside": "파일을 옮기는 중…",
  "config.keptAt": "기본 설정으로 시작했습니다. 이전 설정 파일은 {path}에 보관되어 있습니다.",

  "startup.failed": "Bucketdesk를 시작하지 못했습니다",
  "startup.retry": "다시 시도",

  "common.dismiss": "닫기",
};
