; Inno Setup 6.3+ script: a per-user (or, if chosen, per-machine) installer for the
; one-folder app that PyInstaller built in dist\rapidpro-explorer.
;
; `python build_spec\build.py` runs it with ISCC and passes the defines below; by hand:
;   ISCC /DAppVersion=0.1.0 build_spec\windows\rapidpro-explorer.iss
; Output: dist\rapidpro-explorer-VERSION-setup.exe. Uninstalling removes everything it
; installed; the user's settings and sandbox data (in %APPDATA% / %LOCALAPPDATA%) stay.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\rapidpro-explorer"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef AppURL
  #define AppURL "https://github.com/rapidpro-explorer/rapidpro-explorer"
#endif
#define AppName "RapidPro Explorer"
#define AppExe "rapidpro-explorer.exe"

[Setup]
; The AppId identifies the app to Windows across versions: never change it.
AppId={{3C3B2155-2D10-410A-B5EF-CB44840DA618}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=RapidPro Explorer developers
AppPublisherURL={#AppURL}
AppSupportURL={#AppURL}
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
LicenseFile=..\..\LICENSE
OutputDir={#OutputDir}
OutputBaseFilename=rapidpro-explorer-{#AppVersion}-setup
#ifdef IconFile
SetupIconFile={#IconFile}
#endif
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
